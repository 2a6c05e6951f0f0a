import Foundation
import GatehouseTestSupport
import HTTPTypes
import Testing

@Suite struct SecretTests {
    @Test func upsertByKeyListAndDeleteByID() async throws {
        try await APIHarness.run { api in
            let created = try await api.call(
                .post, "/v1/admin/secrets/SALESFORCE_ORG_SUBDOMAIN", json: #"{"value":"acme-production-org","description":"org"}"#
            )
            #expect(created.status == .ok)
            let body = try api.object(created)
            let id = try #require(body["id"] as? String)
            #expect(body["key"] as? String == "SALESFORCE_ORG_SUBDOMAIN" && body["hint"] as? String == "-org")
            #expect(!String(buffer: created.body).contains("acme-production-org"))

            let updated = try api.object(
                try await api.call(.post, "/v1/admin/secrets/SALESFORCE_ORG_SUBDOMAIN", json: #"{"value":"another-value-here"}"#))
            #expect(updated["id"] as? String == id && updated["description"] as? String == "org")

            let list = try api.object(try await api.call(.get, "/v1/admin/secrets"))
            #expect(list["total_count"] as? Int == 1)
            #expect(try await api.call(.delete, "/v1/admin/secrets/\(id)").status == .noContent)
            #expect(try await api.call(.delete, "/v1/admin/secrets/\(id)").status == .notFound)
        }
    }

    @Test(arguments: [
        ("/v1/admin/secrets/K", #"{"description":"x"}"#, "value"),
        ("/v1/admin/secrets/K", #"{"value":""}"#, "value"),
        ("/v1/admin/secrets/bad%20key", #"{"value":"v"}"#, "key"),
    ])
    func badSecretsAreRefused(uri: String, json: String, mention: String) async throws {
        try await APIHarness.run { api in
            let response = try await api.call(.post, uri, json: json)
            #expect(response.status == .badRequest)
            #expect((try api.object(response)["message"] as? String ?? "").contains(mention))
            #expect(try api.object(try await api.call(.get, "/v1/admin/secrets"))["total_count"] as? Int == 0)
        }
    }
}
