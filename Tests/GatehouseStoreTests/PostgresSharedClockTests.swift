import Foundation
import GatehouseCore
import GatehousePostgres
import GatehouseTestSupport
import Logging
import Testing

/// What replicas compare across one another's records (heartbeats, when a callback took a
/// flow's state) is on the database's clock, not their own: a replica whose clock runs ahead
/// must not take a running one for stopped, nor a callback at work on it for one that stopped.
@Suite(.enabled(if: StoreBackend.available.contains(.postgres), "needs GATEHOUSE_TEST_POSTGRES_URL (scripts/test.sh)"))
struct PostgresSharedClockTests {
    static let hour: TimeInterval = 3600

    @Test func theSharedTimeIsTheDatabasesWhateverTheCallersClockSays() async throws {
        try await StoreBackend.withPostgres(leaseClock: .database) { store, _ in
            let ahead = Date().addingTimeInterval(Self.hour)
            // This host runs the database: its clock and ours agree to within the query.
            #expect(abs(try await store.sharedTime(ahead).timeIntervalSinceNow) < 5)
            let flow = try await store.insertFlowDeduplicated(makeFlow(now: ahead), now: ahead)
            let used = try #require(try await store.consumeState(hash: flow.stateHash, now: ahead, by: "server:a"))
            #expect(abs(try #require(used.stateUsedAt).timeIntervalSinceNow) < 5)
        }
    }

    @Test func aHeartbeatWrittenOnAClockBehindIsLiveToAReplicaWhoseClockRunsAhead() async throws {
        try await StoreBackend.withPostgres(leaseClock: .database) { store, _ in
            let key = RunningServer.newKey()
            let behind = ServerHeartbeat(
                store: store, keyIDs: ["k"], defaultKeyID: "k", logger: Logger(label: "test"), key: key, pid: 4242,
                now: { Date().addingTimeInterval(-Self.hour) })
            #expect(await behind.beat())
            let ahead = try await store.sharedTime(Date().addingTimeInterval(Self.hour))
            #expect(try await RunningServer.liveKeys(in: store, now: ahead).contains(key))
            #expect(try await RunningServer.running(in: store, now: ahead).map(\.pid) == [4242])
            await behind.remove()
        }
    }

    @Test func inTestsThatMoveTimeTheCallersClockIsTheSharedOne() async throws {
        try await StoreBackend.withPostgres(leaseClock: .caller) { store, _ in
            let ahead = Date().addingTimeInterval(Self.hour)
            let shared = try await store.sharedTime(ahead)
            #expect(shared == ahead)
        }
    }
}
