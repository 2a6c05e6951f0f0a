import Foundation
import GatehouseCore
import GatehouseTestSupport
import Testing

@testable import GatehouseServer

// The provider's template changes while the person signs in to the app (`ProviderReplacement`):
// the grant parked on the flow was issued under the old template, so it is never stored.
extension OIDCVerificationTests {
    @Test func aTemplateChangedDuringTheAppsSignInEndsTheFlowWithoutStoringTheGrant() async throws {
        try await run(signedIn: "alice@example.com") { api, op in
            let (url, state, id) = try await signIn(api, user: "alice@example.com")
            try await op.prepare(signInURL: url)
            let changed = try await api.call(
                .patch, "/v1/admin/auth_providers/fake",
                json: #"{"oauth2":{"authorize_request":{"params":{"prompt":"consent"}}}}"#)
            #expect(changed.status == .ok, "\(String(buffer: changed.body))")

            let back = "/v1/oauth/user_verification?code=\(FakeOpenIDProvider.code)&state=\(state)"
            for arrival in ["first", "reload"] {
                let page = try await api.call(.get, back, authorization: nil)
                #expect(page.status == .badRequest, "\(arrival)")
                #expect(String(buffer: page.body).contains("The sign-in ended before it was finished"), "\(arrival)")
            }
            let status = try api.object(try await api.call(.get, "/v1/auth/status?id=\(id)"))
            #expect(status["status"] as? String == "failed")
            #expect(status["status_reason"] as? String == Flow.providerChangedReason)
            let connections = try api.object(try await api.call(.get, "/v1/admin/user_connections?user_id=alice@example.com"))
            #expect(connections["total_count"] as? Int == 0)
            // The app's code was not redeemed: the flow had ended before it came back.
            #expect(!api.provider.transport.requests.contains { $0.url == FakeOpenIDProvider.issuer + "/token" })
        }
    }
}
