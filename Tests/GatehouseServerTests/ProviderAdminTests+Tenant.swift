import GatehouseTestSupport
import Testing

/// A built-in with per-tenant hosts, moved to another tenant by a patch.
extension ProviderAdminTests {
    func endpoints(_ api: APIHarness, _ id: String) async throws -> String? {
        let body = try api.object(try await api.call(.get, "/v1/admin/auth_providers/\(id)"))
        let oauth2 = body["oauth2"] as? [String: Any]
        return (oauth2?["authorize_request"] as? [String: Any])?["endpoint"] as? String
    }

    @Test func aTenantGivenToABuiltInMovesItsEndpointsAndNeedsItsSecretAgain() async throws {
        try await APIHarness.run { api in
            let created = try await api.call(
                .post, "/v1/admin/auth_providers",
                json: #"{"id":"sf","provider_id":"salesforce","tenant":"acme","oauth2":{"client_id":"c","client_secret":"s"}}"#)
            #expect(created.status == .ok, "\(String(buffer: created.body))")
            #expect(try await endpoints(api, "sf") == "https://acme.my.salesforce.com/services/oauth2/authorize")
            // A change made by hand, which the move keeps.
            let tuned = try await api.call(
                .patch, "/v1/admin/auth_providers/sf", json: #"{"oauth2":{"authorize_request":{"params":{"prompt":"login"}}}}"#)
            #expect(tuned.status == .ok, "\(String(buffer: tuned.body))")
            // The stored secret does not follow the endpoints to another host by itself.
            let moved = try await api.call(.patch, "/v1/admin/auth_providers/sf", json: #"{"tenant":"globex"}"#)
            #expect(moved.status == .badRequest)
            #expect((try api.object(moved)["message"] as? String)?.contains("give the client secret") == true)
            #expect(try await endpoints(api, "sf") == "https://acme.my.salesforce.com/services/oauth2/authorize")
            // Moved, with the same patch's own change to the template merged as any patch's.
            let done = try await api.call(
                .patch, "/v1/admin/auth_providers/sf",
                json: #"{"tenant":"globex","client_secret":"s-2","oauth2":{"authorize_request":{"params":{"display":"page"}}}}"#)
            #expect(done.status == .ok, "\(String(buffer: done.body))")
            #expect(try await endpoints(api, "sf") == "https://globex.my.salesforce.com/services/oauth2/authorize")
            let oauth2 = try api.object(done)["oauth2"] as? [String: Any]
            #expect(oauth2?["client_id"] as? String == "c")
            let tokenEndpoint = (oauth2?["token_request"] as? [String: Any])?["endpoint"] as? String
            #expect(tokenEndpoint == "https://globex.my.salesforce.com/services/oauth2/token")
            let params = (oauth2?["authorize_request"] as? [String: Any])?["params"] as? [String: Any]
            #expect(
                params?["prompt"] as? String == "login" && params?["display"] as? String == "page",
                "\(String(describing: params))")
            // A tenant outside the built-in's pattern, on a built-in without tenants, or on a
            // custom provider, names the field and changes nothing.
            try await api.createProvider()
            for (id, json, says) in [
                ("sf", #"{"tenant":"evil.example.com/x"}"#, "tenant: provider 'salesforce' needs your subdomain"),
                ("fake", #"{"tenant":"acme"}"#, "tenant: only a provider made from a built-in"),
            ] {
                let refused = try await api.call(.patch, "/v1/admin/auth_providers/\(id)", json: json)
                #expect(refused.status == .badRequest)
                let message = try api.object(refused)["message"] as? String
                #expect(message?.contains(says) == true, "\(String(describing: message))")
            }
            let google = try await api.call(
                .post, "/v1/admin/auth_providers",
                json: #"{"id":"g","provider_id":"google","oauth2":{"client_id":"g","client_secret":"s"}}"#)
            #expect(google.status == .ok)
            let noTenant = try await api.call(.patch, "/v1/admin/auth_providers/g", json: #"{"tenant":"acme"}"#)
            #expect(noTenant.status == .badRequest)
            #expect((try api.object(noTenant)["message"] as? String)?.contains("has no per-tenant host") == true)
            #expect(try await endpoints(api, "sf") == "https://globex.my.salesforce.com/services/oauth2/authorize")
        }
    }
}
