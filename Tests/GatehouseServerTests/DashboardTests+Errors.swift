import Foundation
import GatehouseTestSupport
import HTTPTypes
import HummingbirdTesting
import NIOCore
import Testing

@testable import GatehouseServer

extension DashboardTests {
    /// An error on a dashboard path is a page with the request id to quote, not the API's JSON.
    @Test func errorsOnTheDashboardsPathsArePagesWithTheirReference() async throws {
        try await APIHarness.run { api in
            let missing = try await api.client.execute(uri: "/dashboard/nothing-here", method: .get)
            #expect(missing.status == .notFound && missing.headers[.contentType] == "text/html; charset=utf-8")
            let html = String(buffer: missing.body)
            #expect(
                html.contains("<h1>No such page</h1>") && html.contains("The dashboard has no page at this address."), "\(html)")
            let reference = try #require(missing.headers[RequestCorrelation.header])
            #expect(html.contains("<code>\(reference)</code>"), "\(html)")
            #expect(missing.headers[.contentSecurityPolicy]?.contains("default-src 'none'") == true)

            let wrongMethod = try await api.client.execute(uri: "/dashboard/sign-in", method: .delete)
            #expect(wrongMethod.status == .methodNotAllowed && wrongMethod.headers[.allow] == "GET, HEAD, POST")
            #expect(String(buffer: wrongMethod.body).contains("this path answers GET, HEAD, POST"))
            // The API's paths keep their JSON.
            let api404 = try await api.client.execute(uri: "/v1/nothing-here", method: .get)
            #expect(api404.headers[.contentType]?.hasPrefix("application/json") == true)
        }
    }

    /// A sign-out with a form token that is not the session's ends nothing, and one without a
    /// cookie (a form posted from another site) clears nothing.
    @Test func aSignOutWithAnotherFormTokenOrNoCookieEndsNothing() async throws {
        try await APIHarness.run { api in
            let browser = try await Self.browser(api)
            let refused = try await browser.post("/dashboard/sign-out", csrf: "guess")
            #expect(refused.status == .forbidden && refused.headers[.setCookie] == nil)
            #expect(try await browser.get("/dashboard/keys").status == .ok)
            let crossSite = try await api.client.execute(
                uri: "/dashboard/sign-out", method: .post, headers: [.contentType: "application/x-www-form-urlencoded"],
                body: ByteBuffer(string: "csrf=x"))
            #expect(crossSite.status == .seeOther && crossSite.headers[.setCookie] == nil)
        }
    }

    @Test func aFormInAnotherTransferCodingIsAPageSayingWhich() async throws {
        try await APIHarness.run { api in
            let answer = try await api.client.execute(
                uri: "/dashboard/sign-in", method: .post,
                headers: [.contentType: "application/x-www-form-urlencoded", .transferEncoding: "gzip, chunked"],
                body: ByteBuffer(string: "key=x"))
            #expect(answer.status == .notImplemented && answer.headers[.contentType] == "text/html; charset=utf-8")
            let html = String(buffer: answer.body)
            #expect(html.contains("<h1>That request could not be used</h1>") && html.contains("Transfer-Encoding"), "\(html)")
        }
    }
}
