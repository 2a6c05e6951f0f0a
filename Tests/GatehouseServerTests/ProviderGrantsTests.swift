import Foundation
import GatehouseCore
import GatehouseTestSupport
import Testing

/// A provider's grants belong to it: deleting it deletes them, a new provider of its id starts
/// with none, and a rename that would leave them behind is refused.
@Suite struct ProviderGrantsTests {
    func connections(_ api: APIHarness, user: String) async throws -> Int? {
        try api.object(try await api.call(.get, "/v1/admin/user_connections?user_id=\(user)"))["total_count"] as? Int
    }

    // Found by an exploratory run: a new provider under a deleted one's id handed out the old
    // grant's token, and sent its refresh token to the new provider's token endpoint.
    @Test func aNewProviderUnderADeletedOnesIDStartsWithoutItsGrants() async throws {
        try await APIHarness.run { api in
            try await api.createProvider()
            _ = try await api.completedToken(user: "alice")  // also held in memory now
            let pending = try await api.authorize(user: "bob")
            #expect(try await api.call(.delete, "/v1/admin/auth_providers/fake").status == .ok)
            #expect(try await connections(api, user: "alice") == 0)
            #expect(try await api.call(.get, "/v1/auth/status?id=\(try #require(pending["id"] as? String))").status == .notFound)

            try await api.createProvider()
            let sent = api.provider.transport.requests.count
            let again = try await api.authorize(user: "alice")
            #expect(again["status"] as? String == "pending", "\(again)")
            #expect(api.provider.transport.requests.count == sent, "nothing goes to the provider for the old grant")
            // The old flow's consent cannot finish at the new provider either.
            #expect(try await api.callback(for: pending).status != .ok)
        }
    }

    @Test func aRenameIsRefusedWhileTheProviderHasConnectionsAndAllowedAfter() async throws {
        try await APIHarness.run { api in
            try await api.createProvider()
            _ = try await api.completedToken(user: "carol")
            let refused = try await api.call(.patch, "/v1/admin/auth_providers/fake", json: #"{"id":"renamed"}"#)
            #expect(refused.status == .conflict)
            #expect((try api.object(refused)["message"] as? String)?.contains("has connections") == true)
            #expect(try await api.call(.get, "/v1/admin/auth_providers/fake").status == .ok)
            #expect(try await api.authorize(user: "carol")["status"] as? String == "completed")

            let list = try api.object(try await api.call(.get, "/v1/admin/user_connections?user_id=carol"))
            let id = try #require((list["items"] as? [[String: Any]])?.first?["id"] as? String)
            #expect(try await api.call(.delete, "/v1/admin/user_connections/\(id)").status == .noContent)
            let renamed = try await api.call(.patch, "/v1/admin/auth_providers/fake", json: #"{"id":"renamed"}"#)
            #expect(renamed.status == .ok, "\(String(buffer: renamed.body))")
        }
    }
}
