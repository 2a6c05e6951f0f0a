import Foundation
import GatehouseTestSupport
import HTTPTypes
import Testing

@testable import GatehouseServer

// The connections list in pages, and the counts said in words.
extension DashboardTests {
    @Test func theConnectionsListIsPagedAndCountsInWords() async throws {
        try await APIHarness.run { api in
            try await api.createProvider()
            _ = try await api.completedToken(user: "user-00")
            let browser = try await Self.browser(api)
            let one = String(buffer: try await browser.get("/dashboard/connections").body)
            #expect(one.contains("<p>1 connection.</p>"), "one page: no page count")
            let removing = String(buffer: try await browser.post("/dashboard/providers/fake/delete").body)
            #expect(removing.contains("Its one user connection is deleted with it"))
            #expect(removing.contains("Remove fake and 1 connection</button>"))

            for number in 1...DashboardRoutes.pageSize {
                _ = try await api.completedToken(user: String(format: "user-%02d", number))
            }
            let first = String(buffer: try await browser.get("/dashboard/connections").body)
            #expect(first.contains("<p>26 connections, page 1 of 2.</p>"), "\(first)")
            #expect(first.contains(#"<a href="/dashboard/connections?page=2&amp;provider=&amp;user=">Next</a>"#), "\(first)")
            #expect(!first.contains(">Previous</a>"))
            let second = String(buffer: try await browser.get("/dashboard/connections?page=2").body)
            #expect(second.contains("<p>26 connections, page 2 of 2.</p>") && second.contains(">Previous</a>"))
            #expect(!second.contains(">Next</a>"))
            let rows = second.components(separatedBy: "<tr><td>user-").count - 1
            #expect(rows == 1, "the 26th on the second page")
            let past = try await browser.get("/dashboard/connections?page=9")
            #expect(past.status == .seeOther && past.headers[.location]?.contains("page=2") == true)
        }
    }
}
