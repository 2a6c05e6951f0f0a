import Foundation
import GatehouseTestSupport
import HTTPTypes
import HummingbirdTesting
import Testing

/// RFC 9207 at the provider callback, through the real composition root: an `iss` naming another
/// authorization server fails the flow before the code is exchanged; with `oauth2.issuer`, the
/// callback must carry exactly it.
@Suite struct CallbackIssuerTests {
    /// A callback for a new flow of `user`, with `extra` appended to its query; the page, the
    /// flow's status after it, and whether the code was exchanged.
    func callback(_ api: APIHarness, user: String, extra: String) async throws -> (
        page: TestResponse, status: String?, exchanged: Bool
    ) {
        let before = api.provider.codeGrants
        let pending = try await api.authorize(user: user)
        let page = try await api.callback(for: pending, extra: extra)
        let id = try #require(pending["id"] as? String)
        let status = try api.object(try await api.call(.get, "/v1/auth/status?id=\(id)"))["status"] as? String
        return (page, status, api.provider.codeGrants > before)
    }

    @Test func anIssOnTheProvidersOriginCompletesAndAnotherServersFailsBeforeTheExchange() async throws {
        try await APIHarness.run { api in
            try await api.createProvider()
            let same = try await callback(api, user: "a", extra: "&iss=http%3A%2F%2F127.0.0.1%3A1")
            #expect(same.page.status == .ok && same.status == "completed" && same.exchanged)

            let other = try await callback(api, user: "b", extra: "&iss=https%3A%2F%2Fattacker.example")
            #expect(other.page.status == .badRequest && other.status == "failed" && !other.exchanged)
            #expect(String(buffer: other.page.body).contains("This link doesn&#39;t work"))
            // An error redirect is checked too: it is not taken for the person's refusal.
            let refusal = try await callback(api, user: "c", extra: "&error=access_denied&iss=https%3A%2F%2Fattacker.example")
            #expect(!String(buffer: refusal.page.body).contains("Access not granted") && refusal.status == "failed")
            let connections = try api.object(try await api.call(.get, "/v1/admin/user_connections"))
            #expect((connections["items"] as? [Any])?.count == 1)
        }
    }

    @Test func withAnIssuerTheCallbackMustCarryExactlyIt() async throws {
        try await APIHarness.run { api in
            try await api.createProvider()
            let patched = try await api.call(
                .patch, "/v1/admin/auth_providers/fake", json: #"{"oauth2":{"issuer":"http://127.0.0.1:1/as"}}"#)
            #expect(patched.status == .ok, "\(String(buffer: patched.body))")

            let missing = try await callback(api, user: "a", extra: "")
            #expect(missing.page.status == .badRequest && missing.status == "failed" && !missing.exchanged)
            // Same origin, but not the issuer: RFC 9207 compares the whole string.
            let origin = try await callback(api, user: "b", extra: "&iss=http%3A%2F%2F127.0.0.1%3A1")
            #expect(origin.page.status == .badRequest && origin.status == "failed" && !origin.exchanged)
            let exact = try await callback(api, user: "c", extra: "&iss=http%3A%2F%2F127.0.0.1%3A1%2Fas")
            #expect(exact.page.status == .ok && exact.status == "completed" && exact.exchanged)

            let shown = try api.object(try await api.call(.get, "/v1/admin/auth_providers/fake"))
            #expect((shown["oauth2"] as? [String: Any])?["issuer"] as? String == "http://127.0.0.1:1/as")
        }
    }

    @Test(arguments: ["http://idp.example", "https://idp.example/?x=1", "https://idp.example/#f", "not a url"])
    func anIssuerThatIsNotAnHTTPSURLIsRefused(issuer: String) async throws {
        try await APIHarness.run { api in
            try await api.createProvider()
            let patched = try await api.call(
                .patch, "/v1/admin/auth_providers/fake", json: #"{"oauth2":{"issuer":"\#(issuer)"}}"#)
            #expect(patched.status == .badRequest)
            #expect((try api.object(patched)["message"] as? String)?.contains("oauth2.issuer") == true)
            let shown = try api.object(try await api.call(.get, "/v1/admin/auth_providers/fake"))
            #expect((shown["oauth2"] as? [String: Any])?["issuer"] == nil)
        }
    }
}
