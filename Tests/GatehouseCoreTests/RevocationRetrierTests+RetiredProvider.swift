import Foundation
import GatehouseTestSupport
import GatehouseWire
import Testing

@testable import GatehouseCore

// A provider deleted with its users' connections: their grants are revoked at the provider as it
// was deleted, whatever takes its id afterwards.
extension RevocationRetrierTests {
    @Test func aDeletedProvidersGrantsAreRevokedThroughItAsItWasDeleted() async throws {
        try await StoreBackend.withSQLite { store in
            let broker = try await broker(store)
            let retrier = RevocationRetrier(broker: broker)
            for user in ["a", "b"] { _ = try await storeStaleConnection(store, cipher: cipher, user: user) }
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
            #expect(client.revoked == ["rt-0", "rt-0"])
            #expect(Set(client.revokedThrough) == ["https://p.example/revoke s"])
            #expect(try await pending(store).isEmpty)
            // Nothing waits for the deleted provider: it is not kept.
            #expect(try await store.exportAll().retiredProviders.isEmpty)
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
