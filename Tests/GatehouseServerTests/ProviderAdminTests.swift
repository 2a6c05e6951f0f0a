import Foundation
import GatehouseServer
import GatehouseTestSupport
import HTTPTypes
import Testing

@Suite struct ProviderAdminTests {
    @Test func patchMergesAtEveryLevelAndNullClears() async throws {
        try await APIHarness.run { api in
            try await api.createProvider()
            func oauth2() async throws -> [String: Any] {
                let body = try api.object(try await api.call(.get, "/v1/admin/auth_providers/fake"))
                return try #require(body["oauth2"] as? [String: Any])
            }
            // One field deep inside token_request: its auth_method stays.
            var response = try await api.call(
                .patch, "/v1/admin/auth_providers/fake",
                json: #"{"oauth2":{"token_request":{"params":{"audience":"api"}},"scope_delimiter":","}}"#)
            #expect(response.status == .ok, "\(String(buffer: response.body))")
            var config = try await oauth2()
            let token = try #require(config["token_request"] as? [String: Any])
            #expect(token["auth_method"] as? String == "client_secret_basic")
            #expect((token["endpoint"] as? String)?.hasSuffix("/token") == true)
            #expect((token["params"] as? [String: Any])?["audience"] as? String == "api")
            #expect(config["scope_delimiter"] as? String == ",")
            #expect((config["authorize_request"] as? [String: Any])?["params"] is [String: Any], "a sibling block was lost")
            #expect(config["client_id"] as? String == "client-1")

            // null clears, at any level; the rest stays.
            response = try await api.call(
                .patch, "/v1/admin/auth_providers/fake",
                json: #"{"description":null,"oauth2":{"user_info_request":null,"token_request":{"params":{"audience":null}}}}"#)
            #expect(response.status == .ok, "\(String(buffer: response.body))")
            let body = try api.object(response)
            #expect(body["description"] == nil || body["description"] is NSNull)
            config = try await oauth2()
            #expect(config["user_info_request"] == nil || config["user_info_request"] is NSNull)
            let params = (config["token_request"] as? [String: Any])?["params"] as? [String: Any] ?? [:]
            #expect(params["audience"] == nil)
            #expect((config["token_request"] as? [String: Any])?["auth_method"] as? String == "client_secret_basic")
            #expect((config["client_secret"] as? [String: Any])?["exists"] as? Bool == true)

            // The secret is cleared only when asked, and not from a provider that serves and
            // sends it (every consent would end in a failed exchange): that one is made inactive.
            response = try await api.call(.patch, "/v1/admin/auth_providers/fake", json: #"{"oauth2":{"client_secret":null}}"#)
            #expect(response.status == .badRequest)
            #expect(
                (try api.object(response)["message"] as? String ?? "").hasPrefix(
                    "oauth2.client_secret is required: oauth2.token_request.auth_method is client_secret_basic"))
            #expect(((try await oauth2())["client_secret"] as? [String: Any])?["exists"] as? Bool == true)
            response = try await api.call(
                .patch, "/v1/admin/auth_providers/fake", json: #"{"status":"inactive","oauth2":{"client_secret":null}}"#)
            #expect(response.status == .ok)
            #expect(((try await oauth2())["client_secret"] as? [String: Any])?["exists"] as? Bool == false)

            // A patch that leaves a broken template is refused, and changes nothing.
            response = try await api.call(
                .patch, "/v1/admin/auth_providers/fake", json: #"{"oauth2":{"authorize_request":{"endpoint":null}}}"#)
            #expect(response.status == .badRequest)
            #expect((try await oauth2())["authorize_request"] is [String: Any])
            response = try await api.call(.patch, "/v1/admin/auth_providers/fake", json: #"{"oauth2":null}"#)
            #expect(response.status == .badRequest)
            #expect((try api.object(response)["message"] as? String ?? "").contains("oauth2 cannot be cleared"))
        }
    }

    @Test func anEmptyClientSecretIsRefusedAndTheStoredOneKept() async throws {
        // Schemathesis found that a stored empty secret made every read answer 500; an
        // exploratory run, that it then failed every consent with invalid_client.
        try await APIHarness.run { api in
            try await api.createProvider()
            for body in [#"{"client_secret":""}"#, #"{"oauth2":{"client_secret":""}}"#] {
                let patched = try await api.call(.patch, "/v1/admin/auth_providers/fake", json: body)
                #expect(patched.status == .badRequest)
                #expect((try api.object(patched)["message"] as? String)?.contains("must not be empty") == true)
            }
            let created = try await api.call(
                .post, "/v1/admin/auth_providers", json: #"{"id":"gh","provider_id":"github","client_secret":""}"#)
            #expect(created.status == .badRequest)
            #expect(try await api.call(.get, "/v1/admin/auth_providers").status == .ok)
            #expect(try await api.call(.get, "/v1/admin/auth_providers/fake").status == .ok)
            // The stored secret still completes a consent (the fake provider checks it).
            _ = try await api.completedToken(user: "e1")
        }
    }

    @Test func aLimitAboveTheLargestPageIsClamped() async throws {
        try await APIHarness.run { api in
            let page = try api.object(try await api.call(.get, "/v1/admin/user_connections?limit=500"))
            #expect(page["limit"] as? Int == 100, "\(page)")
            #expect(try await api.call(.get, "/v1/admin/user_connections?limit=500").status == .ok)
            #expect(try await api.call(.get, "/v1/admin/user_connections?limit=-1").status == .badRequest)
        }
    }

    @Test func createGetPatchDelete() async throws {
        try await APIHarness.run { api in
            let created = try await api.call(.post, "/v1/admin/auth_providers", json: FakeProvider.definition)
            #expect(created.status == .ok)
            let body = try api.object(created)
            let oauth2 = try #require(body["oauth2"] as? [String: Any])
            #expect((oauth2["redirect_uri"] as? String)?.hasSuffix("/v1/oauth/fake/callback") == true)
            let secret = try #require(oauth2["client_secret"] as? [String: Any])
            #expect(secret["exists"] as? Bool == true && secret["value"] is NSNull)
            #expect(!String(buffer: created.body).contains("secret-1"))
            #expect((body["binding"] as? [String: Any])?["type"] as? String == "project")

            let conflict = try await api.call(.post, "/v1/admin/auth_providers", json: FakeProvider.definition)
            #expect(conflict.status == .conflict)
            // The official clients retry a 409 twice unless told not to.
            #expect(conflict.headers[HTTPField.Name("x-should-retry")!] == "false")

            let patched = try await api.call(
                .patch, "/v1/admin/auth_providers/fake", json: #"{"description":"changed","status":"inactive"}"#)
            #expect(patched.status == .ok)
            let patchedBody = try api.object(patched)
            #expect(patchedBody["description"] as? String == "changed" && patchedBody["status"] as? String == "inactive")
            #expect(((patchedBody["oauth2"] as? [String: Any])?["client_id"]) as? String == "client-1")

            let list = try api.object(try await api.call(.get, "/v1/admin/auth_providers"))
            #expect(list["total_count"] as? Int == 1 && list["offset"] as? Int == 0 && list["page_count"] as? Int == 1)

            let deleted = try await api.call(.delete, "/v1/admin/auth_providers/fake")
            #expect(deleted.status == .ok)
            #expect(try api.object(deleted)["id"] as? String == "fake")
            #expect(try await api.call(.get, "/v1/admin/auth_providers/fake").status == .notFound)
            #expect(try await api.call(.delete, "/v1/admin/auth_providers/fake").status == .notFound)
            #expect(try await api.call(.patch, "/v1/admin/auth_providers/fake", json: "{}").status == .notFound)
        }
    }

    @Test(arguments: [
        (#"{"id":"x","oauth2":{"client_id":"c","token_request":{"endpoint":"https://p/t"}}}"#, "oauth2.authorize_request"),
        (
            #"{"id":"x","oauth2":{"client_id":"c","authorize_request":{"endpoint":"http://example.com/a"},"token_request":{"endpoint":"https://p/t"}}}"#,
            "https"
        ),
        (
            #"{"id":"x","oauth2":{"client_id":"c","scope_delimiter":";","authorize_request":{"endpoint":"https://p/a"},"token_request":{"endpoint":"https://p/t"}}}"#,
            "scope_delimiter"
        ),
        (
            #"{"id":"x","oauth2":{"client_id":"c","authorize_request":{"endpoint":"https://p/a"},"token_request":{"endpoint":"https://p/t","response_map":{"access_token":"access_token"}}}}"#,
            "response_map.access_token"
        ),
        (
            #"{"id":"x","oauth2":{"authorize_request":{"endpoint":"https://p/a"},"token_request":{"endpoint":"https://p/t"}}}"#,
            "client_id"
        ),
        (#"{"id":"bad id","oauth2":{}}"#, "id"),
        (#"{"id":"complete","oauth2":{}}"#, "id 'complete' is reserved"),
        (#"{"id":"..","oauth2":{}}"#, "id must not be"),
        (#"{"id":".","oauth2":{}}"#, "id must not be"),
        (#"{"id":"x","provider_id":"nope","client_id":"c"}"#, "provider_id"),
        (#"{"oauth2":{}}"#, "id"),
        (#"{"id":"x","oauth2":{"client_id":5}}"#, "oauth2.client_id"),
    ])
    func badTemplatesNameTheField(json: String, field: String) async throws {
        try await APIHarness.run { api in
            let response = try await api.call(.post, "/v1/admin/auth_providers", json: json)
            #expect(response.status == .badRequest)
            let message = try api.object(response)["message"] as? String ?? ""
            #expect(message.contains(field), "\(message)")
            #expect(try api.object(try await api.call(.get, "/v1/admin/auth_providers"))["total_count"] as? Int == 0)
        }
    }

    @Test func aBuiltInNeedsOnlyCredentials() async throws {
        try await APIHarness.run { api in
            let created = try await api.call(
                .post, "/v1/admin/auth_providers",
                json: #"{"id":"google","provider_id":"google","oauth2":{"client_id":"g","client_secret":"s"}}"#)
            #expect(created.status == .ok)
            let pending = try await api.authorize(
                user: "u", scopes: ["https://www.googleapis.com/auth/gmail.readonly"], provider: "google")
            let url = try #require(pending["url"] as? String)
            #expect(url.hasPrefix("https://accounts.google.com/o/oauth2/v2/auth?"))
            for part in ["access_type=offline", "prompt=consent", "include_granted_scopes=true", "code_challenge_method=S256"] {
                #expect(url.contains(part), "\(url)")
            }
        }
    }

    @Test func aProviderSwitchedToABuiltInKeepsItsClientIDAndNeedsItsSecretAgain() async throws {
        try await APIHarness.run { api in
            try await api.createProvider()
            // The built-in's endpoints are on another host: the stored secret does not follow them.
            let moved = try await api.call(.patch, "/v1/admin/auth_providers/fake", json: #"{"provider_id":"google"}"#)
            #expect(moved.status == .badRequest)
            let message = try api.object(moved)["message"] as? String
            #expect(
                message?.contains("give the client secret (oauth2.client_secret) again") == true, "\(String(describing: message))"
            )
            let switched = try await api.call(
                .patch, "/v1/admin/auth_providers/fake", json: #"{"provider_id":"google","client_secret":"s-2"}"#)
            #expect(switched.status == .ok)
            let body = try api.object(switched)
            #expect(body["provider_id"] as? String == "google")
            #expect((body["oauth2"] as? [String: Any])?["client_id"] as? String == "client-1")
            let pending = try await api.authorize(
                user: "u", scopes: ["https://www.googleapis.com/auth/gmail.readonly"], provider: "fake")
            let url = try #require(pending["url"] as? String)
            #expect(url.hasPrefix("https://accounts.google.com/o/oauth2/v2/auth?") && url.contains("client_id=client-1"))
        }
    }

    @Test func configProvidersAreStaticAndReadOnly() async throws {
        try await APIHarness.run(configure: {
            $0.providers = [.init(id: "g", providerID: "google", clientID: "cid", clientSecret: "a-long-enough-secret")]
        }) { api in
            let body = try api.object(try await api.call(.get, "/v1/admin/auth_providers/g"))
            #expect((body["binding"] as? [String: Any])?["type"] as? String == "static")
            let secret = (body["oauth2"] as? [String: Any])?["client_secret"] as? [String: Any]
            #expect(secret?["editable"] as? Bool == false && secret?["hint"] as? String == "cret")
            #expect(try await api.call(.delete, "/v1/admin/auth_providers/g").status == .forbidden)
        }
    }
}
