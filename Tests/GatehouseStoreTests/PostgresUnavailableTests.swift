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

    /// A failover can leave a replica on a standby: its writes are refused (`25006`), which is
    /// the database not serving (503), not a bug (500).
    @Test func aReadOnlyDatabaseIsStoreUnavailable() async throws {
        try await StoreBackend.withPostgres { store, settings in
            try await StoreBackend.withClient(settings) { other in
                _ = try await other.query(
                    "DO $$ BEGIN EXECUTE format('ALTER DATABASE %I SET default_transaction_read_only = on', current_database()); END $$",
                    logger: logger)
                // The store's sessions began read-write: ended, so that new ones take the setting.
                _ = try await other.query(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()",
                    logger: logger)
                var read = false
                for _ in 0..<200 where !read {
                    do {
                        try await store.ping()
                        read = true
                    } catch {
                        try await Task.sleep(for: .milliseconds(10))
                    }
                }
                #expect(read, "the store reads again")
                let error = await #expect(throws: GatehouseError.self) { try await store.setSetting("x", value: "y") }
                #expect(
                    error?.code == .storeUnavailable && error?.message.contains("read-only") == true,
                    "\(String(describing: error))")
            }
        }
    }
}
