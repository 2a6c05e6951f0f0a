import Foundation
import GatehouseCore
import GatehouseTestSupport
import Testing

/// The `Store` contract for pending revocations (`PendingRevocation`), on every backend: written
/// with the delete or not at all, found when due, and never left for a later provider of the id
/// or a provider whose token side moved.
@Suite struct RevocationContractTests {
    static let deletedAt = Date(timeIntervalSince1970: 1_700_000_000.25)

    static func order(at: Date = deletedAt) -> RevocationOrder {
        RevocationOrder(deletedAt: at, destination: "https://p.example")
    }

    func pending(_ store: any Store) async throws -> [PendingRevocation] {
        try await store.dueRevocations(now: .distantFuture, limit: 100)
    }

    /// A connection of `user` with `provider`, deleted with its revocation queued.
    func queued(_ store: any Store, user: String, provider: String = "p", at: Date = deletedAt) async throws
        -> Connection
    {
        let (connection, _) = try await ProviderGrantsContractTests.grant(store, user: user, provider: provider)
        _ = try #require(try await store.deleteConnection(id: connection.id, queueing: Self.order(at: at)))
        return connection
    }

    @Test(arguments: StoreBackend.available)
    func aDeleteQueuesTheRevocationOfTheRowAsDeleted(backend: StoreBackend) async throws {
        try await backend.withStore { store in
            var connection = try await storeStaleConnection(
                store, cipher: try TokenCipher(keys: [RootKey.generate(id: "k")], defaultKeyID: "k"))
            connection.userInfo = ["sub": .string("u-1")]
            connection = try await store.upsertConnection(connection)
            let deleted = try #require(try await store.deleteConnection(id: connection.id, queueing: Self.order()))
            #expect(deleted == connection)
            #expect(try await store.connection(id: connection.id) == nil)
            let revocation = try #require(try await pending(store).first)
            #expect(revocation == PendingRevocation(of: connection, Self.order()))
            #expect(revocation.destination == "https://p.example")
            #expect(revocation.nextAttemptAt == Self.deletedAt + PendingRevocation.firstRetryDelay)
            // Without a revocation time, a delete queues nothing; a delete of nothing neither.
            let plain = try await storeStaleConnection(
                store, cipher: try TokenCipher(keys: [RootKey.generate(id: "k")], defaultKeyID: "k"), user: "plain")
            _ = try await store.deleteConnection(id: plain.id)
            #expect(try await store.deleteConnection(id: "uc_none", queueing: Self.order()) == nil)
            #expect(try await pending(store).map(\.id) == [connection.id])
        }
    }

    @Test(arguments: StoreBackend.available)
    func theBacklogCountsEachProvidersPendingRevocationsAndTheOldest(backend: StoreBackend) async throws {
        try await backend.withStore { store in
            #expect(try await store.revocationBacklog().isEmpty)
            _ = try await queued(store, user: "later", at: Self.deletedAt + 10)
            let sooner = try await queued(store, user: "sooner")
            _ = try await queued(store, user: "elsewhere", provider: "q", at: Self.deletedAt + 5)
            // A try that failed changes neither the count nor the delete's time.
            try await store.postponeRevocation(id: sooner.id, until: Self.deletedAt + 600, reason: "HTTP 503")
            #expect(
                try await store.revocationBacklog() == [
                    "p": RevocationBacklog(count: 2, oldest: Self.deletedAt),
                    "q": RevocationBacklog(count: 1, oldest: Self.deletedAt + 5),
                ])
            #expect(try await store.deleteRevocation(id: sooner.id))
            #expect(try await store.revocationBacklog()["p"] == RevocationBacklog(count: 1, oldest: Self.deletedAt + 10))
        }
    }

    @Test(arguments: StoreBackend.available)
    func dueRevocationsComeSoonestFirstAndAPostponementCounts(backend: StoreBackend) async throws {
        try await backend.withStore { store in
            try await store.insertProvider(ProviderGrantsContractTests.record("p"))
            let later = try await queued(store, user: "later", at: Self.deletedAt + 10)
            let sooner = try await queued(store, user: "sooner")
            let first = Self.deletedAt + PendingRevocation.firstRetryDelay
            #expect(try await store.dueRevocations(now: first - 1, limit: 10).isEmpty)
            #expect(try await store.dueRevocations(now: first, limit: 10).map(\.id) == [sooner.id])
            #expect(try await store.dueRevocations(now: first + 10, limit: 10).map(\.id) == [sooner.id, later.id])
            #expect(try await store.dueRevocations(now: first + 10, limit: 1).map(\.id) == [sooner.id])
            let elsewhere = try await queued(store, user: "elsewhere", provider: "q", at: Self.deletedAt + 5)
            #expect(
                try await store.dueRevocations(now: first + 10, limit: 10, excluding: ["p"]).map(\.id) == [elsewhere.id])
            #expect(try await store.dueRevocations(now: first + 10, limit: 10, excluding: ["p", "q"]).isEmpty)
            #expect(try await store.deleteRevocation(id: elsewhere.id))

            try await store.postponeRevocation(id: sooner.id, until: first + 60, reason: "HTTP 503")
            let postponed = try #require(try await pending(store).last)
            #expect(postponed.id == sooner.id && postponed.attempts == 1 && postponed.lastError == "HTTP 503")
            #expect(postponed.nextAttemptAt == first + 60)
            try await store.postponeRevocation(id: sooner.id, until: first + 180, reason: "timed out")
            #expect(try await pending(store).last?.attempts == 2)

            #expect(try await store.deleteRevocation(id: sooner.id))
            #expect(try await !store.deleteRevocation(id: sooner.id))
            #expect(try await pending(store).map(\.id) == [later.id])
        }
    }

    /// A revocation queued on its own (a grant renewed during its connection's delete) is added
    /// once: a second with its id changes nothing.
    @Test(arguments: StoreBackend.available)
    func aQueuedRevocationIsAddedOnce(backend: StoreBackend) async throws {
        try await backend.withStore { store in
            let first = PendingRevocation(
                id: "uc_1.renewed", userID: "u", providerID: "p", sealedTokens: [1, 2, 3], userInfo: ["sub": .string("s")],
                createdAt: Self.deletedAt, nextAttemptAt: Self.deletedAt + 120, destination: "https://p.example")
            try await store.queueRevocation(first)
            var second = first
            second.sealedTokens = [4]
            try await store.queueRevocation(second)
            #expect(try await pending(store) == [first])
        }
    }

    /// A provider's pending revocations go with it, and never pass to a later provider of the
    /// id, nor to a provider whose tokens now go elsewhere (a rename, a refused-if-connected
    /// change that went through).
    @Test(arguments: StoreBackend.available)
    func pendingRevocationsNeverReachAnotherServer(backend: StoreBackend) async throws {
        try await backend.withStore { store in
            try await store.insertProvider(ProviderGrantsContractTests.record("p"))
            _ = try await queued(store, user: "a")
            let other = try await queued(store, user: "b", provider: "q")
            #expect(try await store.deleteProvider(id: "p") != nil)
            #expect(try await pending(store).map(\.id) == [other.id])

            // Left under "p" with no provider, then a new provider takes the id.
            _ = try await queued(store, user: "c")
            try await store.insertProvider(ProviderGrantsContractTests.record("p"))
            #expect(try await pending(store).map(\.id) == [other.id])

            // A change of description keeps them; one refused while connected, gone through,
            // does not; nor does a rename.
            _ = try await queued(store, user: "d")
            _ = try await store.updateProvider(id: "p", with: ProviderGrantsContractTests.record("p", description: "two"))
            #expect(try await pending(store).count == 2)
            let moved = GatehouseError(.conflict, "moves")
            _ = try await store.updateProvider(
                id: "p", with: ProviderGrantsContractTests.record("p", description: "three"), unlessConnected: moved, basedOn: nil
            )
            #expect(try await pending(store).map(\.id) == [other.id])
            _ = try await queued(store, user: "e")
            _ = try await store.updateProvider(id: "p", with: ProviderGrantsContractTests.record("r"))
            #expect(try await pending(store).map(\.id) == [other.id])
        }
    }
}
