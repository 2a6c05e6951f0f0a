import Foundation
import GatehouseCore
import GatehousePostgres
import GatehouseTestSupport
import Testing

/// Replicas measure refresh leases on the database's clock, not their own: a replica whose
/// clock runs ahead must not find a held lease lapsed (it would refresh with the refresh token
/// the holder is using), and one whose clock runs behind must not hold a lease for longer.
@Suite(.enabled(if: StoreBackend.available.contains(.postgres), "needs GATEHOUSE_TEST_POSTGRES_URL (scripts/test.sh)"))
struct PostgresLeaseClockTests {
    static let hour: TimeInterval = 3600

    @Test func aReplicaWhoseClockRunsAheadDoesNotTakeAHeldLease() async throws {
        try await StoreBackend.withPostgres(leaseClock: .database) { store, _ in
            let cipher = try TokenCipher(keys: [RootKey.generate(id: "k")], defaultKeyID: "k")
            let connection = try await storeStaleConnection(store, cipher: cipher)
            #expect(try await store.acquireRefreshLease(connectionID: connection.id, owner: "a", lasting: 30, now: Date()) != nil)
            // On its own clock, an hour on, the lease has long lapsed.
            let ahead = Date().addingTimeInterval(Self.hour)
            #expect(try await store.acquireRefreshLease(connectionID: connection.id, owner: "b", lasting: 30, now: ahead) == nil)
            // A holder whose clock runs an hour behind renews it for 30 s all the same.
            let behind = Date().addingTimeInterval(-Self.hour)
            #expect(try await store.renewRefreshLease(connectionID: connection.id, owner: "a", lasting: 30, now: behind))
            #expect(try await store.acquireRefreshLease(connectionID: connection.id, owner: "b", lasting: 30, now: Date()) == nil)
        }
    }

    @Test func aLeaseLapsesWhenTheDatabasesClockSaysSo() async throws {
        try await StoreBackend.withPostgres(leaseClock: .database) { store, _ in
            let cipher = try TokenCipher(keys: [RootKey.generate(id: "k")], defaultKeyID: "k")
            let connection = try await storeStaleConnection(store, cipher: cipher)
            let started = ContinuousClock.now
            #expect(
                try await store.acquireRefreshLease(connectionID: connection.id, owner: "a", lasting: 1, now: Date()) != nil)
            // A replica whose clock runs an hour behind would, on its own clock, wait an hour.
            let behind = { Date().addingTimeInterval(-Self.hour) }
            #expect(
                try await store.acquireRefreshLease(connectionID: connection.id, owner: "b", lasting: 30, now: behind()) == nil)
            var taken = false
            while !taken, ContinuousClock.now - started < .seconds(10) {
                try await Task.sleep(for: .milliseconds(50))
                taken =
                    try await store.acquireRefreshLease(connectionID: connection.id, owner: "b", lasting: 30, now: behind())
                    != nil
            }
            #expect(taken, "the lease never lapsed")
            // Not before its second was up (as the database counts it, less a little for reading the clocks).
            #expect(ContinuousClock.now - started >= .milliseconds(980))
        }
    }
}
