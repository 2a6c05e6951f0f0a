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
        // A GET puts its params in the URL, which logs keep.
        (
            #"{"oauth2":{"refresh_request":{"endpoint":"http://127.0.0.1:1/token","method":"GET","auth_method":"client_secret_basic"}}}"#,
            "oauth2.refresh_request.method must be POST: a GET would put the refresh token in the URL"
        ),
        // Unnamed, the user info and introspection methods are GET, as they are sent.
        (
            #"{"oauth2":{"token_introspection_request":{"endpoint":"http://127.0.0.1:1/i","auth_method":"client_secret_post"}}}"#,
            "oauth2.token_introspection_request.auth_method client_secret_post with method GET"
        ),
        (
            #"{"oauth2":{"token_introspection_request":{"endpoint":"http://127.0.0.1:1/i","method":"get","params":{"t":"{{ access_token }}"}}}}"#,
            "oauth2.token_introspection_request.params.t may not use {{access_token}} with method GET"
        ),
        (
            #"{"oauth2":{"user_info_request":{"endpoint":"http://127.0.0.1:1/me","params":{"t":"{{access_token}}"}}}}"#,
            "oauth2.user_info_request.params.t may not use {{access_token}} with method GET"
        ),
        // The user info goes to apps, unsealed: no token may be mapped into it.
        (
            #"{"oauth2":{"refresh_request":{"endpoint":"http://127.0.0.1:1/token","auth_method":"client_secret_basic","response_map":{"user_info.rt":"$.refresh_token"}}}}"#,
            "oauth2.refresh_request.response_map.user_info.rt may not read the answer's tokens"
        ),
        (
            #"{"oauth2":{"token_request":{"endpoint":"http://127.0.0.1:1/token","auth_method":"client_secret_basic","response_map":{"user_info.all":" $ "}}}}"#,
            "oauth2.token_request.response_map.user_info.all may not read the answer's tokens (or the whole answer)"
        ),
        (
            #"{"oauth2":{"token_request":{"endpoint":"http://127.0.0.1:1/token","auth_method":"client_secret_basic","response_map":{"user_info.t":"$['id_token']"}}}}"#,
            "oauth2.token_request.response_map.user_info.t may not read the answer's tokens"
        ),
        // The scopes go to apps, unsealed, and the access token to apps: neither may be a token
        // the map reads there (a refresh token never leaves the server).
        (
            #"{"oauth2":{"refresh_request":{"endpoint":"http://127.0.0.1:1/token","auth_method":"client_secret_basic","response_map":{"scope":"$.refresh_token"}}}}"#,
            "oauth2.refresh_request.response_map.scope may not read the answer's tokens"
        ),
        (
            #"{"oauth2":{"token_request":{"endpoint":"http://127.0.0.1:1/token","auth_method":"client_secret_basic","response_map":{"scope":"$.authed_user['access_token']"}}}}"#,
            "oauth2.token_request.response_map.scope may not read the answer's tokens"
        ),
        (
            // Not a path the response map reads: refused as such.
            #"{"oauth2":{"token_introspection_request":{"endpoint":"http://127.0.0.1:1/i","response_map":{"scope":"$..id_token"}}}}"#,
            "oauth2.token_introspection_request.response_map.scope: JSONPath '$..id_token' has an empty member name"
        ),
        // Paths read as the response map reads them: spaces in brackets, a token member at any depth.
        (
            #"{"oauth2":{"refresh_request":{"endpoint":"http://127.0.0.1:1/token","auth_method":"client_secret_basic","response_map":{"access_token":"$.authed_user[ 'refresh_token' ]"}}}}"#,
            "oauth2.refresh_request.response_map.access_token may not read a refresh token"
        ),
        (
            #"{"oauth2":{"token_request":{"endpoint":"http://127.0.0.1:1/token","auth_method":"client_secret_basic","response_map":{"scope":"$.a[ \"id_token\" ]"}}}}"#,
            "oauth2.token_request.response_map.scope may not read the answer's tokens"
        ),
        (
            #"{"oauth2":{"refresh_request":{"endpoint":"http://127.0.0.1:1/token","auth_method":"client_secret_basic","response_map":{"user_info.leak":"$.authed_user.refresh_token"}}}}"#,
            "oauth2.refresh_request.response_map.user_info.leak may not read the answer's tokens"
        ),
        (
            #"{"oauth2":{"refresh_request":{"endpoint":"http://127.0.0.1:1/token","auth_method":"client_secret_basic","response_map":{"access_token":"$.data.refresh_token"}}}}"#,
            "oauth2.refresh_request.response_map.access_token may not read a refresh token"
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

    /// A claim read out of the ID token is user info, not the token: OpenID providers with no
    /// user info endpoint say who the user is that way.
    @Test func aClaimOfTheIDTokenMayBeMappedIntoUserInfo() async throws {
        try await APIHarness.run { api in
            try await api.createProvider()
            let response = try await api.call(
                .patch, "/v1/admin/auth_providers/fake",
                json:
                    #"{"oauth2":{"token_request":{"endpoint":"http://127.0.0.1:1/token","auth_method":"client_secret_basic","response_map":{"user_info.email":"jwt_decode('$.id_token', '$.email')"}}}}"#
            )
            #expect(response.status == .ok, "\(String(buffer: response.body))")
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

    /// A stored grant's tokens go only where they went when it was made: a patch that would send
    /// them to a new origin is refused while the provider has connections, even with the secret
    /// (which any admin may give again), as a rename is.
    @Test func anEndpointThatWouldReceiveStoredGrantsCannotMoveWhileThereAreAny() async throws {
        try await APIHarness.run { api in
            try await api.createProvider()
            _ = try await api.completedToken(user: "alice")
            let before = String(buffer: try await api.call(.get, "/v1/admin/auth_providers/fake").body)
            for (field, patch) in [
                ("refresh_request", #""refresh_request":{"endpoint":"https://attacker.example/token"}"#),
                ("token_request", #""token_request":{"endpoint":"https://attacker.example/token"}"#),
                ("user_info_request", #""user_info_request":{"endpoint":"https://attacker.example/me"}"#),
                ("token_revocation_request", #""token_revocation_request":{"endpoint":"https://attacker.example/revoke"}"#),
                ("connection_hosts", #""connection_hosts":["evil.example"]"#),
            ] {
                let response = try await api.call(
                    .patch, "/v1/admin/auth_providers/fake", json: #"{"oauth2":{"client_secret":"throwaway",\#(patch)}}"#)
                #expect(response.status == .conflict, "\(field): \(String(buffer: response.body))")
                #expect(
                    (try api.object(response)["message"] as? String)?.contains(
                        "oauth2.\(field)\(field == "connection_hosts" ? "" : ".endpoint") would send the tokens of auth provider 'fake''s connections to another host"
                    )
                        == true)
            }
            // Nor may the refresh token be read from elsewhere in the answer: the checks would not
            // know the real one, and another entry could hand it to apps.
            for request in ["refresh_request", "token_request"] {
                let response = try await api.call(
                    .patch, "/v1/admin/auth_providers/fake",
                    json: #"{"oauth2":{"\#(request)":{"response_map":{"refresh_token":"$.data.x"}}}}"#)
                #expect(response.status == .conflict, "\(request): \(String(buffer: response.body))")
                #expect(
                    (try api.object(response)["message"] as? String)?.contains(
                        "oauth2.\(request).response_map.refresh_token would read the refresh token of auth provider 'fake''s connections from another place"
                    ) == true)
            }
            #expect(String(buffer: try await api.call(.get, "/v1/admin/auth_providers/fake").body) == before, "nothing changed")
            // Nor may the requests that send the refresh token go to another path of the same
            // host (an endpoint that stores or echoes what it gets), nor one be added.
            for (field, patch) in [
                ("refresh_request", #""refresh_request":{"endpoint":"http://127.0.0.1:1/chat.postMessage"}"#),
                ("token_revocation_request", #""token_revocation_request":{"endpoint":"http://127.0.0.1:1/revoke"}"#),
            ] {
                let response = try await api.call(
                    .patch, "/v1/admin/auth_providers/fake", json: #"{"oauth2":{"client_secret":"throwaway",\#(patch)}}"#)
                #expect(response.status == .conflict, "\(field): \(String(buffer: response.body))")
                #expect(
                    (try api.object(response)["message"] as? String)?.contains(
                        "oauth2.\(field).endpoint would send the refresh tokens of auth provider 'fake''s connections to another URL"
                    ) == true, "\(String(buffer: response.body))")
            }
            // New flows only: the authorize page may move (with the secret).
            let authorize = try await api.call(
                .patch, "/v1/admin/auth_providers/fake",
                json:
                    #"{"oauth2":{"client_secret":"s2","authorize_request":{"endpoint":"https://login.example/authorize","params":{"response_type":"code"}}}}"#
            )
            #expect(authorize.status == .ok, "\(String(buffer: authorize.body))")
            // Without connections, the move is the operator's to make.
            let connection = try #require(
                (try api.object(try await api.call(.get, "/v1/admin/user_connections?user_id=alice"))["items"] as? [[String: Any]])?
                    .first?["id"] as? String)
            #expect(try await api.call(.delete, "/v1/admin/user_connections/\(connection)").status == .noContent)
            let moved = try await api.call(
                .patch, "/v1/admin/auth_providers/fake",
                json: #"{"oauth2":{"client_secret":"s3","refresh_request":{"endpoint":"https://new.example/token"}}}"#)
            #expect(moved.status == .ok, "\(String(buffer: moved.body))")
            // Another path of the same host, for a request that sends the client secret, needs the
            // secret again (as another host does); the user info request's path is free to change.
            let repathed = try await api.call(
                .patch, "/v1/admin/auth_providers/fake",
                json: #"{"oauth2":{"refresh_request":{"endpoint":"https://new.example/api/chat.postMessage"}}}"#)
            #expect(repathed.status == .badRequest, "\(String(buffer: repathed.body))")
            #expect(
                (try api.object(repathed)["message"] as? String)?.contains(
                    "oauth2.refresh_request.endpoint goes to another URL, and the request sends the client secret: give the client secret"
                ) == true, "\(String(buffer: repathed.body))")
            let given = try await api.call(
                .patch, "/v1/admin/auth_providers/fake",
                json: #"{"oauth2":{"client_secret":"s4","refresh_request":{"endpoint":"https://new.example/api/token"}}}"#)
            #expect(given.status == .ok, "\(String(buffer: given.body))")
            let userInfo = try await api.call(
                .patch, "/v1/admin/auth_providers/fake",
                json: #"{"oauth2":{"user_info_request":{"endpoint":"http://127.0.0.1:1/v2/me"}}}"#)
            #expect(userInfo.status == .ok, "\(String(buffer: userInfo.body))")
        }
    }
}
