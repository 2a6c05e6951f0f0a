import Foundation
import GatehouseCore
import GatehouseTestSupport
import HTTPTypes
import HummingbirdTesting
import NIOCore
import Testing

@testable import GatehouseServer

// A session that ends: the sign-in page says why, and the sign-in goes back to the page.
extension DashboardTests {
    func signIn(_ api: APIHarness, next: String) async throws -> TestResponse {
        try await api.client.execute(
            uri: "/dashboard/sign-in", method: .post, headers: [.contentType: "application/x-www-form-urlencoded"],
            body: ByteBuffer(string: FormEncoding.encode(["key": api.key, "next": next])))
    }

    @Test func aSignInReturnsToThePageThatSentThereAndOnlyToADashboardPage() async throws {
        try await APIHarness.run { api in
            let sent = try await api.client.execute(uri: "/dashboard/connections?user=alice", method: .get)
            let location = try #require(sent.headers[.location])
            let page = String(buffer: try await api.client.execute(uri: location, method: .get).body)
            #expect(page.contains(#"name="next" value="/dashboard/connections?user=alice""#), "\(page)")
            let back = try await signIn(api, next: "/dashboard/connections?user=alice")
            #expect(back.headers[.location]?.hasPrefix("/dashboard/connections?user=alice&signed-in=") == true)
            // A wrong key keeps the page to return to; an earlier sign-in's mark is not carried on.
            let refused = try await api.client.execute(
                uri: "/dashboard/sign-in", method: .post, headers: [.contentType: "application/x-www-form-urlencoded"],
                body: ByteBuffer(string: FormEncoding.encode(["key": "arc_nope", "next": "/dashboard/flows"])))
            #expect(String(buffer: refused.body).contains(#"name="next" value="/dashboard/flows""#))
            let marked = try await api.client.execute(uri: "/dashboard/flows?signed-in=1", method: .get)
            #expect(marked.headers[.location] == "/dashboard/sign-in?next=%2Fdashboard%2Fflows")
            for elsewhere in [
                "//evil.example/dashboard/", "https://evil.example/", "/dashboard//evil.example", "/dashboard/\\evil",
                "/dashboard/sign-in", "/v1/admin/auth_providers", "/dashboard/x y",
            ] {
                let answer = try await signIn(api, next: elsewhere)
                #expect(answer.headers[.location]?.hasPrefix("/dashboard/providers?signed-in=") == true, "\(elsewhere)")
            }
        }
    }

    /// The sign-in's mark is taken off the address once the cookie came back: a bookmark or a
    /// copied link does not carry it.
    @Test func theSignInMarkLeavesTheAddressOnceTheCookieIsBack() async throws {
        try await APIHarness.run { api in
            let browser = try await Self.browser(api)
            let marked = try await browser.get("/dashboard/connections?user=alice&signed-in=\(Int(Date().timeIntervalSince1970))")
            #expect(marked.status == .seeOther && marked.headers[.location] == "/dashboard/connections?user=alice")
            #expect(try await browser.get("/dashboard/flows?signed-in=1").headers[.location] == "/dashboard/flows")
            #expect(try await browser.get("/dashboard/flows").status == .ok)
        }
    }

    @Test func aFormSentAfterTheSessionEndedSaysNothingWasSaved() async throws {
        try await APIHarness.run { api in
            // No cookie at all (it lapsed in the browser): the form's work is lost, and said so.
            let posted = try await api.client.execute(
                uri: "/dashboard/providers", method: .post, headers: [.contentType: "application/x-www-form-urlencoded"],
                body: ByteBuffer(string: "template=github&id=gh&client_id=cid&client_secret=csecret"))
            #expect(posted.headers[.location] == "/dashboard/sign-in?reason=unsaved")
            #expect(try await api.call(.get, "/v1/admin/auth_providers/gh").status == .notFound)
            let page = String(buffer: try await api.client.execute(uri: "/dashboard/sign-in?reason=unsaved", method: .get).body)
            #expect(page.contains("Your session ended before that form was sent, so nothing was changed."))
            // A page asked with a cookie that no longer signs in (signed out elsewhere).
            let browser = try await Self.browser(api)
            _ = try await browser.post("/dashboard/sign-out")
            let asked = try await browser.get("/dashboard/flows")
            #expect(asked.headers[.location] == "/dashboard/sign-in?next=%2Fdashboard%2Fflows&reason=ended")
            let ended = String(buffer: try await api.client.execute(uri: "/dashboard/sign-in?reason=ended", method: .get).body)
            #expect(ended.contains("Your session ended"))
        }
    }

    @Test func theVerificationPageSaysWhatIsInEffect() async throws {
        try await APIHarness.run { api in
            let browser = try await Self.browser(api)
            let skipped = String(buffer: try await browser.get("/dashboard/verification").body)
            #expect(skipped.contains("In effect: verification is SKIPPED. Whoever finishes a consent link"))
            _ = try await browser.post(
                "/dashboard/verification", ["verifier_url": "http://127.0.0.1:4000/verify", "unsafe_skip": "1"])
            let both = String(buffer: try await browser.get("/dashboard/verification").body)
            #expect(both.contains("The verifier URL below is kept but not used until skipping is turned off."))
            _ = try await browser.post("/dashboard/verification", ["verifier_url": "http://127.0.0.1:4000/verify"])
            let verified = String(buffer: try await browser.get("/dashboard/verification").body)
            #expect(verified.contains("In effect: every consent goes to http://127.0.0.1:4000/verify"))
        }
    }

    @Test func aDashboardErrorPageLeadsBackToTheDashboard() async throws {
        try await APIHarness.run { api in
            let missing = try await api.client.execute(uri: "/dashboard/nothing-here", method: .get)
            #expect(missing.status == .notFound && String(buffer: missing.body).contains(#"<a href="/dashboard">"#))
        }
    }
}
