import Foundation
import GatehouseCore
import GatehouseTestSupport
import Testing

// The refresh lease: one holder at a time, kept alive by its holder, and ended by a new grant.
extension StoreContractTests {
    /// A stored connection whose token is stale, and the row as its refresh lease (owner "a",
    /// 30 s from `now`) holds it.
    func leased(in store: any Store, now: Date) async throws -> (connection: Connection, held: Connection) {
        let cipher = try TokenCipher(keys: [RootKey.generate(id: "k")], defaultKeyID: "k")
        let connection = try await storeStaleConnection(store, cipher: cipher)
        let held = try #require(
            try await store.acquireRefreshLease(connectionID: connection.id, owner: "a", lasting: 30, now: now))
        return (connection, held)
    }

    @Test(arguments: StoreBackend.available)
    func refreshLeaseIsExclusive(backend: StoreBackend) async throws {
        try await backend.withStore { store in
            let now = Date()
            let (connection, _) = try await leased(in: store, now: now)
            #expect(
                try await store.acquireRefreshLease(connectionID: connection.id, owner: "b", lasting: 30, now: now) == nil)
            // A lapsed lease can be taken over.
            #expect(
                try await store.acquireRefreshLease(connectionID: connection.id, owner: "b", lasting: 59, now: now + 31)
                    != nil)
            try await store.releaseRefreshLease(connectionID: connection.id, owner: "a", status: .active)
            #expect(
                try await store.acquireRefreshLease(connectionID: connection.id, owner: "c", lasting: 30, now: now + 32)
                    == nil)
        }
    }

    /// A lease its owner could not release (the store was away) does not hold the owner's next
    /// refresh for a lease length; another owner still waits for it to lapse.
    @Test(arguments: StoreBackend.available)
    func aLeaseLeftBehindIsItsOwnersToTakeAgain(backend: StoreBackend) async throws {
        try await backend.withStore { store in
            let now = Date()
            let (connection, _) = try await leased(in: store, now: now)
            #expect(
                try await store.acquireRefreshLease(connectionID: connection.id, owner: "b", lasting: 30, now: now + 1)
                    == nil)
            let again = try #require(
                try await store.acquireRefreshLease(connectionID: connection.id, owner: "a", lasting: 30, now: now + 1))
            #expect(again.id == connection.id)
            #expect(
                try await store.acquireRefreshLease(connectionID: connection.id, owner: "b", lasting: 30, now: now + 30)
                    == nil)
        }
    }

    @Test(arguments: StoreBackend.available)
    func completeRefreshIsFencedByOwnerAndVersion(backend: StoreBackend) async throws {
        try await backend.withStore { store in
            let now = Date()
            let (connection, held) = try await leased(in: store, now: now)
            var refreshed = held
            refreshed.scopes = ["a", "b"]
            // Another owner cannot write.
            #expect(try await store.completeRefresh(refreshed, owner: "b") == nil)
            let stored = try #require(try await store.completeRefresh(refreshed, owner: "a"))
            #expect(stored.scopes == ["a", "b"] && stored.version == held.version + 1)
            // The lease is free again, and a write from the stale version is refused.
            #expect(try await store.completeRefresh(refreshed, owner: "a") == nil)
            #expect(
                try await store.acquireRefreshLease(connectionID: connection.id, owner: "c", lasting: 30, now: now) != nil)
            try await store.releaseRefreshLease(connectionID: connection.id, owner: "c", status: .reauthorizationRequired)
            let released = try #require(try await store.connection(id: connection.id))
            #expect(released.status == .reauthorizationRequired && released.version == stored.version + 1)
        }
    }

    @Test(arguments: StoreBackend.available)
    func onlyTheHolderRenewsALease(backend: StoreBackend) async throws {
        try await backend.withStore { store in
            let now = Date()
            let (connection, _) = try await leased(in: store, now: now)
            #expect(try await !store.renewRefreshLease(connectionID: connection.id, owner: "b", lasting: 90, now: now))
            #expect(try await store.renewRefreshLease(connectionID: connection.id, owner: "a", lasting: 90, now: now))
            // Renewed: still held past its first end, and the row's version did not move (the
            // holder's write checks it).
            #expect(
                try await store.acquireRefreshLease(connectionID: connection.id, owner: "b", lasting: 60, now: now + 60)
                    == nil)
            #expect(try await store.connection(id: connection.id)?.version == connection.version)
            #expect(try await !store.renewRefreshLease(connectionID: "uc_nope", owner: "a", lasting: 90, now: now))
        }
    }

    /// A new consent while a refresh of the old grant is in flight: the refresh can neither
    /// store its tokens nor mark the new grant for re-authorization when the provider refuses
    /// the old refresh token.
    @Test(arguments: StoreBackend.available)
    func aNewGrantEndsTheLeaseOfARefreshInFlight(backend: StoreBackend) async throws {
        try await backend.withStore { store in
            let now = Date()
            let (old, held) = try await leased(in: store, now: now)
            var consent = old
            consent.scopes = ["a", "b"]
            let granted = try await store.upsertConnection(consent)
            try await store.releaseRefreshLease(connectionID: old.id, owner: "a", status: .reauthorizationRequired)
            var refreshed = held
            refreshed.scopes = ["stale"]
            #expect(try await store.completeRefresh(refreshed, owner: "a") == nil)
            let stored = try #require(try await store.connection(id: old.id))
            #expect(stored.status == .active && stored.scopes == ["a", "b"] && stored.version == granted.version)
            // The lease is free for a refresh of the new grant.
            #expect(
                try await store.acquireRefreshLease(connectionID: old.id, owner: "b", lasting: 30, now: now) != nil)
        }
    }
}
