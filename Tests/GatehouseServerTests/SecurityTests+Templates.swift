import Foundation
import GatehouseCore
import GatehouseServer
import GatehouseTestSupport
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import Testing

@testable import GatehouseSQLite

// Templates: where a provider's secrets may go, and what moving an endpoint asks for.
extension SecurityTests {
    @Test(arguments: [
        (
            #"{"oauth2":{"authorize_request":{"endpoint":"http://127.0.0.1:1/authorize","params":{"response_type":"code","leak":"{{client_secret}}"}}}}"#,
            "oauth2.authorize_request.params.leak may not use {{client_secret}}"
        ),
        (
            #"{"oauth2":{"user_info_request":{"endpoint":"http://127.0.0.1:1/me","headers":{"X-R":"{{refresh_token}}"}}}}"#,
            "oauth2.user_info_request.headers.X-R may not use {{refresh_token}}"
        ),
        (
            #"{"oauth2":{"token_request":{"endpoint":"http://127.0.0.1:1/token","params":{"a":"{{access_token}}"}}}}"#,
            "oauth2.token_request.params.a may not use {{access_token}}"
        ),
        (
            #"{"oauth2":{"user_info_request":{"endpoint":"https://other.example/me","auth_method":"client_secret_post"}}}"#,
            "oauth2.user_info_request.auth_method"
        ),
        (
            #"{"oauth2":{"token_request":{"endpoint":"https://attacker.example/token","auth_method":"client_secret_basic"}}}"#,
            "oauth2.token_request.endpoint moves to another host"
        ),
        (
            #"{"oauth2":{"token_request":{"endpoint":"http://127.evil.test/token","auth_method":"client_secret_basic"}}}"#,
            "oauth2.token_request.endpoint must use https"
        ),
        // Another port of the same host may be another party.
        (
            #"{"oauth2":{"token_request":{"endpoint":"http://127.0.0.1:2/token","auth_method":"client_secret_basic"}}}"#,
            "oauth2.token_request.endpoint moves to another host, port or scheme"
        ),
        (
            #"{"oauth2":{"refresh_request":{"endpoint":"http://127.0.0.1:8443/token","auth_method":"client_secret_basic"}}}"#,
            "oauth2.refresh_request.endpoint moves to another host, port or scheme"
        ),
        (
            #"{"oauth2":{"user_info_request":{"endpoint":"http://127.0.0.1:2/me","auth_method":"client_secret_basic"}}}"#,
            "oauth2.user_info_request.auth_method"
        ),
        // Credentials in one place: the method sends them, so no header of the template may too.
        (
            #"{"oauth2":{"token_request":{"endpoint":"http://127.0.0.1:1/token","auth_method":"client_secret_post","headers":{"Authorization":"Basic {{client_secret}}"}}}}"#,
            "oauth2.token_request.headers.Authorization may not use {{client_secret}}: auth_method client_secret_post sends"
        ),
        // A revocation request without a method of its own authenticates as the token request.
        (
            #"{"oauth2":{"token_revocation_request":{"endpoint":"http://127.0.0.1:1/revoke","headers":{"X-Secret":"{{client_secret}}"}}}}"#,
            "oauth2.token_revocation_request.headers.X-Secret may not use {{client_secret}}: auth_method client_secret_basic sends"
        ),
        // An origin from the connection needs the hosts it may name, and naming them is a move.
        (
            #"{"oauth2":{"refresh_request":{"endpoint":"{{user_info.instance_url}}/token"}}}"#,
            "oauth2.refresh_request.endpoint takes its host from {{user_info.instance_url}}: list the hosts"
        ),
        (#"{"oauth2":{"connection_hosts":["*.evil.example"]}}"#, "oauth2.connection_hosts moves to another host"),
        (#"{"oauth2":{"connection_hosts":["*.com"]}}"#, "'*.com' is not a host name"),
        (
            #"{"oauth2":{"authorize_request":{"endpoint":"http://127.0.0.1:1/authorize","params":{"o":"{{user_info.org}}"}}}}"#,
            "oauth2.authorize_request.params.o may not use {{user_info.org}}"
        ),
        (
            #"{"oauth2":{"refresh_request":{"endpoint":"http://127.0.0.1:1/{{refresh_token}}"}}}"#,
            "oauth2.refresh_request.endpoint may not use {{refresh_token}}"
        ),
        (
            #"{"oauth2":{"connection_hosts":["a.example"],"refresh_request":{"endpoint":"{{user_info.u}}.a.example/t"}}}"#,
            "only as the whole origin"
        ),
        (
            #"{"oauth2":{"token_introspection_request":{"endpoint":"https://{{user_info.id}}.attacker.example/i"}}}"#,
            "oauth2.token_introspection_request.endpoint may use {{user_info.<key>}} only as the whole origin"
        ),
    ])
    func aTemplateCannotSendSecretsElsewhere(patch: String, message: String) async throws {
        try await APIHarness.run { api in
            try await api.createProvider()
            let before = try await api.call(.get, "/v1/admin/auth_providers/fake")
            let response = try await api.call(.patch, "/v1/admin/auth_providers/fake", json: patch)
            #expect(response.status == .badRequest)
            #expect(
                (try api.object(response)["message"] as? String)?.contains(message) == true, "\(String(buffer: response.body))")
            // Nothing was stored: the provider reads exactly as before.
            let after = try await api.call(.get, "/v1/admin/auth_providers/fake")
            #expect(String(buffer: after.body) == String(buffer: before.body))
        }
    }

    @Test func anEndpointsOriginIsItsSchemeHostAndPort() {
        let origin = IssuerCheck.origin(of:)
        #expect(origin("https://Login.Example/token") == origin("https://login.example:443/other"))
        #expect(origin("http://127.0.0.1/t") == origin("http://127.0.0.1:80/t"))
        #expect(origin("https://login.example/token") != origin("https://login.example:8443/token"))
        #expect(origin("https://login.example/token") != origin("http://login.example:443/token"))
        #expect(origin("not a url") == nil)
    }

    /// A request that sends no client authentication of its own (none said, or none by default
    /// for the token and refresh requests) may place the secret in a header: one place still.
    @Test func aTemplateMayPlaceTheSecretItselfWhenItsMethodSendsNone() async throws {
        try await APIHarness.run { api in
            try await api.createProvider()
            for patch in [
                #"{"oauth2":{"token_request":{"endpoint":"http://127.0.0.1:1/token","auth_method":"none","headers":{"X-Client-Secret":"{{client_secret}}"}}}}"#,
                // The fake's refresh request names client_secret_basic: null takes it away (merge patch).
                #"{"oauth2":{"refresh_request":{"endpoint":"http://127.0.0.1:1/token","auth_method":null,"headers":{"X-Client-Secret":"{{client_secret}}"}}}}"#,
            ] {
                let response = try await api.call(.patch, "/v1/admin/auth_providers/fake", json: patch)
                #expect(response.status == .ok, "\(String(buffer: response.body))")
            }
        }
    }

    @Test func movingAnEndpointWithTheSecretInTheSameRequestIsAllowed() async throws {
        try await APIHarness.run { api in
            try await api.createProvider()
            let response = try await api.call(
                .patch, "/v1/admin/auth_providers/fake",
                json: #"{"oauth2":{"client_secret":"new-secret","token_request":{"endpoint":"https://new.example/token"}}}"#)
            #expect(response.status == .ok, "\(String(buffer: response.body))")
        }
    }
}
