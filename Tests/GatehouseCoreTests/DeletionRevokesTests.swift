import Foundation
import GatehouseTestSupport
import GatehouseWire
import Logging
import Testing

@testable import GatehouseCore

/// What the dashboard says a connection's delete will do is what the delete does: a provider
/// served as inactive, its stored template breaking a rule of today's, revokes nothing, though
/// the template has a revocation request.
@Suite struct DeletionRevokesTests {
    func template(authorizeParams: String) -> [UInt8] {
        Array(
            """
            {"client_id":"c","authorize_request":{"endpoint":"https://p.example/authorize","params":\(authorizeParams)},
            "token_request":{"endpoint":"https://p.example/token"},
            "token_revocation_request":{"endpoint":"https://p.example/revoke"}}
            """.utf8)
    }

    @Test func aProviderServedAsInactiveRevokesNothing() async throws {
        try await StoreBackend.withSQLite { store in
            let now = Date()
            for (id, params) in [("good", "{}"), ("broken", #"{"x":"{{client_secret}}"}"#)] {
                try await store.insertProvider(
                    ProviderRecord(
                        id: id, description: nil, providerType: "", enabled: true, source: "api",
                        templateJSON: template(authorizeParams: params), sealedSecret: nil, secretHint: nil, createdAt: now,
                        updatedAt: now))
            }
            let broker = try testBroker(store: store)
            let registry = broker.providers
            for (provider, revokes) in [("good", true), ("broken", false)] {
                let connection = try await store.upsertConnection(
                    Connection(
                        id: SecureRandom.identifier(prefix: "uc_"), userID: "u", providerID: provider, scopes: ["a"],
                        sealedTokens: [1], expiresAt: now, userInfo: nil, status: .active, authID: "ac_1", createdAt: now,
                        updatedAt: now))
                #expect(try await registry.configured(id: provider)?.oauth2.tokenRevocationRequest != nil)
                #expect(try await broker.deletionRevokes(connection) == revokes, "\(provider)")
                let deletion = try await broker.deleteConnection(id: connection.id)
                #expect((deletion == .deleted) == !revokes, "\(provider): \(deletion)")
            }
        }
    }
}
