import Foundation
import GatehouseServer
import GatehouseTestSupport
import HTTPTypes
import Testing

extension ProviderAdminTests {
    /// A provider whose code exchange sends the client secret is not served without one: it was
    /// accepted, and every person's consent then ended in the provider's 401 `invalid_client`.
    @Test func aProviderThatSendsItsSecretIsNotServedWithoutOne() async throws {
        try await APIHarness.run { api in
            func create(_ json: String) async throws -> (HTTPResponse.Status, String) {
                let response = try await api.call(.post, "/v1/admin/auth_providers", json: json)
                return (response.status, try api.object(response)["message"] as? String ?? "")
            }
            let authorize = #""authorize_request":{"endpoint":"https://idp.example/authorize"}"#
            // Google's template posts the secret.
            var (status, message) = try await create(#"{"id":"g","provider_id":"google","oauth2":{"client_id":"x"}}"#)
            #expect(status == .badRequest)
            #expect(message.hasPrefix("oauth2.client_secret is required: oauth2.token_request.auth_method is client_secret_post"))
            (status, message) = try await create(
                #"{"id":"c","oauth2":{"client_id":"x",\#(authorize),"token_request":{"endpoint":"https://idp.example/token","params":{"client_secret":"{{client_secret}}"}}}}"#
            )
            #expect(status == .badRequest)
            #expect(message.hasPrefix("oauth2.client_secret is required: oauth2.token_request.params.client_secret uses"))
            let missing = try await api.call(.get, "/v1/admin/auth_providers/g")
            #expect(missing.status == .notFound, "nothing was stored")

            // Inactive until the secret comes; a public client (PKCE, no client authentication)
            // needs none.
            (status, message) = try await create(
                #"{"id":"g","provider_id":"google","status":"inactive","oauth2":{"client_id":"x"}}"#)
            #expect(status == .ok, "\(message)")
            let activated = try await api.call(.patch, "/v1/admin/auth_providers/g", json: #"{"status":"active"}"#)
            #expect(activated.status == .badRequest)
            let given = try await api.call(
                .patch, "/v1/admin/auth_providers/g", json: #"{"status":"active","oauth2":{"client_secret":"s3cret"}}"#)
            #expect(given.status == .ok)
            (status, message) = try await create(
                #"{"id":"p","oauth2":{"client_id":"x","pkce":{"enabled":true},\#(authorize),"token_request":{"endpoint":"https://idp.example/token"}}}"#
            )
            #expect(status == .ok, "\(message)")
        }
    }
}
