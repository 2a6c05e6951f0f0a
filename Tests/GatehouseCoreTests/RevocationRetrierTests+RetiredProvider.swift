import Foundation
import GatehouseTestSupport
import GatehouseWire
import Testing

@testable import GatehouseCore

// A provider deleted with its users' connections: their grants are revoked at the provider as it
// was deleted, whatever takes its id afterwards.
extension RevocationRetrierTests {
    /// A connection of `user` under provider `id`.
    func connect(_ store: any Store, user: String, provider id: String, refreshToken: String) async throws {
        var connection = try await storeStaleConnection(store, cipher: cipher, user: user, refreshToken: refreshToken)
        _ = try await store.deleteConnection(id: connection.id)
        connection.providerID = id
        _ = try await store.upsertConnection(connection)
    }

    @Test func aDeletedProvidersGrantsAreRevokedThroughItAsItWasDeleted() async throws {
        try await StoreBackend.withSQLite { store in
            let broker = try await broker(store)
            let retrier = RevocationRetrier(broker: broker)
            for user in ["a", "b"] { try await connect(store, user: user, provider: "p", refreshToken: "rt-\(user)") }
            _ = try await broker.providers.delete(id: "p")
            #expect(try await store.connections(ConnectionQuery(providerID: "p")).total == 0)
            // Nothing is sent by the delete itself: the next run sends them.
            #expect(client.revocationTries == 0)
            // Another server takes the id, with other credentials.
            var other = Self.revoking(at: "https://other.example/revoke")
            other.clientSecret = "other-secret"
            try await broker.providers.create(other, source: .api)

            client.failRevocations(with: Self.unavailable)
            #expect(await retrier.retry() == RevocationRetrier.Report(postponed: 2))
            client.failRevocations(with: nil)
            advance(60)
            #expect(await retrier.retry() == RevocationRetrier.Report(revoked: 2))
            #expect(client.revoked.sorted() == ["rt-a", "rt-b"])
            #expect(Set(client.revokedThrough) == ["https://p.example/revoke s"])
            #expect(try await pending(store).isEmpty)
            // Nothing waits for the deleted provider: it is not kept.
            #expect(try await store.exportAll().retiredProviders.isEmpty)
        }
    }

    /// The same client made again under another id (here without a revocation request) holds
    /// the user's new grant, which revoking the old one could end: it is left. Another client
    /// that took the id holds no such grant.
    @Test func aUserWhoConnectedAgainToTheSameClientKeepsTheNewGrant() async throws {
        try await StoreBackend.withSQLite { store in
            let broker = try await broker(store)
            for user in ["a", "b"] { try await connect(store, user: user, provider: "p", refreshToken: "rt-\(user)") }
            _ = try await broker.providers.delete(id: "p")
            var sameClient = refreshableProviderRequest()
            sameClient.id = "p2"
            try await broker.providers.create(sameClient, source: .api)
            var otherClient = Self.revoking()
            otherClient.oauth2?.clientID = "another-client"
            try await broker.providers.create(otherClient, source: .api)
            try await connect(store, user: "a", provider: "p2", refreshToken: "rt-a-new")
            try await connect(store, user: "b", provider: "p", refreshToken: "rt-b-new")
            #expect(await RevocationRetrier(broker: broker).retry() == RevocationRetrier.Report(revoked: 1, dropped: 1))
            #expect(client.revoked == ["rt-b"])
        }
    }

    /// The delete's own try goes whatever other grants the user holds: two provider ids for one
    /// client, the user connected under both, one connection deleted.
    @Test func aDeletesOwnTryIsSentWhenTheUserHoldsAnotherGrantOfTheClient() async throws {
        try await StoreBackend.withSQLite { store in
            let broker = try await broker(store)
            var sameClient = Self.revoking()
            sameClient.id = "p2"
            try await broker.providers.create(sameClient, source: .api)
            try await connect(store, user: "a", provider: "p2", refreshToken: "rt-a2")
            let connection = try await storeStaleConnection(store, cipher: cipher, user: "a", refreshToken: "rt-a")
            #expect(try await broker.deleteConnection(id: connection.id) == .revoked)
            #expect(client.revoked == ["rt-a"])
        }
    }

    /// A deleted provider whose server is gone, past `give_up_after` at once: its grants' first
    /// tries fail and are dropped, and after three the run leaves the others for the next.
    @Test func aDeletedProviderWhoseServerIsGoneDoesNotHoldUpARun() async throws {
        try await StoreBackend.withSQLite { store in
            let broker = try await broker(store, giveUp: 0)
            for user in ["a", "b", "c", "d", "e"] {
                try await connect(store, user: user, provider: "p", refreshToken: "rt-\(user)")
            }
            _ = try await broker.providers.delete(id: "p")
            client.failRevocations(with: Self.unavailable)
            #expect(await RevocationRetrier(broker: broker).retry() == RevocationRetrier.Report(dropped: 3, skipped: 2))
            #expect(client.revocationTries == 3)
            #expect(try await pending(store).count == 2)
        }
    }

    /// A provider that cannot revoke is deleted with its grants, and nothing is queued.
    @Test func aProviderWithoutARevocationRequestQueuesNothing() async throws {
        try await StoreBackend.withSQLite { store in
            let broker = try await broker(store)
            let patch = try JSONDecoder().decode(
                ProviderPatch.self, from: Data(#"{"oauth2":{"token_revocation_request":null}}"#.utf8))
            #expect(try await broker.providers.patch(id: "p", with: patch).revocationDestination == nil)
            _ = try await storeStaleConnection(store, cipher: cipher)
            _ = try await broker.providers.delete(id: "p")
            #expect(try await pending(store).isEmpty)
            #expect(try await store.exportAll().retiredProviders.isEmpty)
        }
    }
}
