import Foundation
import GatehouseCore
import GatehouseTestSupport
import Testing

/// The `Store` contract for a provider deleted with a revocation order, on every backend: its
/// users' grants are queued in the delete's transaction, through the provider as it was
/// (`RetiredProvider`), which nothing done later under its id changes or removes.
@Suite struct RetiredProviderContractTests {
    static let deletedAt = Date(timeIntervalSince1970: 1_700_000_100.5)
    static let order = RevocationOrder(deletedAt: deletedAt, destination: "https://p.example")

    func pending(_ store: any Store) async throws -> [PendingRevocation] {
        try await store.dueRevocations(now: .distantFuture, limit: 100).sorted { $0.userID < $1.userID }
    }

    @Test(arguments: StoreBackend.available)
    func aDeleteWithAnOrderQueuesEveryGrantThroughTheProviderAsItWas(backend: StoreBackend) async throws {
        try await backend.withStore { store in
            let record = ProviderGrantsContractTests.record("p")
            try await store.insertProvider(record)
            let (a, _) = try await ProviderGrantsContractTests.grant(store, user: "a", provider: "p")
            let (b, _) = try await ProviderGrantsContractTests.grant(store, user: "b", provider: "p")
            // One revocation of the provider already waits, tried once.
            let (earlier, _) = try await ProviderGrantsContractTests.grant(store, user: "0-earlier", provider: "p")
            let before = RevocationContractTests.order(at: Self.deletedAt - 600)
            _ = try #require(try await store.deleteConnection(id: earlier.id, queueing: before))
            try await store.postponeRevocation(id: earlier.id, until: Self.deletedAt + 60, reason: "HTTP 503")
            let (other, _) = try await ProviderGrantsContractTests.grant(store, user: "z", provider: "q")

            #expect(try await store.deleteProvider(id: "p", queueing: Self.order) == record)
            #expect(try await store.connection(id: a.id) == nil)
            #expect(try await store.connection(id: b.id) == nil)
            #expect(try await store.connection(id: other.id) != nil)
            let queued = try await pending(store)
            #expect(queued.map(\.id) == [earlier.id, a.id, b.id])
            let key = try #require(queued.first?.retiredProvider)
            #expect(queued.allSatisfy { $0.retiredProvider == key })
            // Each grant as its connection had it, due at once.
            var expected = PendingRevocation(of: a, Self.order)
            expected.nextAttemptAt = Self.deletedAt
            expected.retiredProvider = key
            #expect(queued[1] == expected)
            // The one that waited keeps its own times and tries.
            #expect(queued[0].attempts == 1 && queued[0].createdAt == Self.deletedAt - 600)
            #expect(queued[0].nextAttemptAt == Self.deletedAt + 60)
            #expect(
                try await store.retiredProvider(key: key)
                    == RetiredProvider(key: key, record: record, retiredAt: Self.deletedAt))
            #expect(try await store.dropRetiredProviders() == 0)
            for revocation in queued { #expect(try await store.deleteRevocation(id: revocation.id)) }
            #expect(try await store.dropRetiredProviders() == 1)
            #expect(try await store.retiredProvider(key: key) == nil)
        }
    }

    /// A provider of the id made later, changed, renamed or deleted does not take the retired
    /// provider's revocations with it: they go to the server the grants came from.
    @Test(arguments: StoreBackend.available)
    func nothingDoneLaterUnderTheIdRemovesThem(backend: StoreBackend) async throws {
        try await backend.withStore { store in
            try await store.insertProvider(ProviderGrantsContractTests.record("p"))
            _ = try await ProviderGrantsContractTests.grant(store, user: "a", provider: "p")
            _ = try await store.deleteProvider(id: "p", queueing: Self.order)
            #expect(try await pending(store).count == 1)
            try await store.insertProvider(ProviderGrantsContractTests.record("p"))
            let moved = GatehouseError(.conflict, "moves")
            _ = try await store.updateProvider(
                id: "p", with: ProviderGrantsContractTests.record("p", description: "two"), unlessConnected: moved)
            _ = try await store.updateProvider(id: "p", with: ProviderGrantsContractTests.record("r"))
            try await store.insertProvider(ProviderGrantsContractTests.record("p"))
            _ = try await store.deleteProvider(id: "p")
            let left = try #require(try await pending(store).first)
            #expect(try await pending(store).count == 1 && left.retiredProvider != nil)
            #expect(try await store.retiredProvider(key: left.retiredProvider ?? "") != nil)
        }
    }

    /// Without an order the provider's grants and pending revocations go with it, and a provider
    /// with nothing to revoke is not kept.
    @Test(arguments: StoreBackend.available)
    func withoutAnOrderOrAnythingToRevokeNothingIsKept(backend: StoreBackend) async throws {
        try await backend.withStore { store in
            try await store.insertProvider(ProviderGrantsContractTests.record("p"))
            let (a, _) = try await ProviderGrantsContractTests.grant(store, user: "a", provider: "p")
            let (b, _) = try await ProviderGrantsContractTests.grant(store, user: "b", provider: "p")
            _ = try await store.deleteConnection(id: b.id, queueing: RevocationContractTests.order())
            #expect(try await store.deleteProvider(id: "p") != nil)
            #expect(try await store.connection(id: a.id) == nil)
            #expect(try await pending(store).isEmpty)
            try await store.insertProvider(ProviderGrantsContractTests.record("q"))
            #expect(try await store.deleteProvider(id: "q", queueing: Self.order) != nil)
            #expect(try await store.exportAll().retiredProviders.isEmpty)
        }
    }
}
