import Foundation
import GatehouseCore
import GatehousePostgres
import GatehouseTestSupport
import Logging
import PostgresNIO
import Testing

/// A database going away mid-statement is `store_unavailable` (a 503 the client may retry), not
/// an internal error: what every session sees while PostgreSQL restarts.
@Suite(.enabled(if: StoreBackend.available.contains(.postgres), "needs GATEHOUSE_TEST_POSTGRES_URL (scripts/test.sh)"))
struct PostgresUnavailableTests {
    let logger = Logger(label: "test")

    @Test func aSessionTheServerTerminatesIsStoreUnavailable() async throws {
        try await StoreBackend.withPostgres { store, settings in
            try await StoreBackend.withClient(settings) { other in
                try await other.withConnection { locker in
                    // Another session holds the table, so the store's read waits on a lock...
                    _ = try await locker.query("BEGIN", logger: logger)
                    _ = try await locker.query("LOCK TABLE connections IN ACCESS EXCLUSIVE MODE", logger: logger)
                    let read = Task { try await store.connection(userID: "alice", providerID: "github") }
                    // ...until the server ends that session, as `pg_ctl stop -m fast` ends them all (57P01).
                    var terminated = false
                    for _ in 0..<200 where !terminated {
                        try await Task.sleep(for: .milliseconds(10))
                        for try await done in try await locker.query(
                            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database()",
                            logger: logger
                        ).decode(Bool.self) {
                            terminated = terminated || done
                        }
                    }
                    #expect(terminated)
                    let error = await #expect(throws: GatehouseError.self) { try await read.value }
                    #expect(error?.code == .storeUnavailable)
                    _ = try await locker.query("ROLLBACK", logger: logger)
                }
            }
        }
    }
}
