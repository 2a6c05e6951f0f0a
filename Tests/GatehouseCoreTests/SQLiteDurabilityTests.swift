import Foundation
import GatehouseCore
import GatehouseTestSupport
import Logging
import SQLiteNIO
import Testing

@testable import GatehouseSQLite

/// What each of the SQLite store's two connections syncs, and that the one write made without a
/// sync of its own (the state's single-use mark) is kept like any other.
@Suite struct SQLiteDurabilityTests {
    static func synchronous(_ rows: [SQLiteRow]) -> Int? {
        rows.first?.column("synchronous")?.integer
    }

    @Test func everyWriteButTheStateMarkIsSyncedAtItsCommit() async throws {
        try await StoreBackend.withSQLite { store in
            // 2 is FULL (a commit waits for its sync), 1 NORMAL (in WAL mode: synced with the
            // next FULL commit or checkpoint).
            let main = try await store.rows("PRAGMA synchronous")
            let unsynced = try await store.unsynced.query("PRAGMA synchronous", [])
            #expect(Self.synchronous(main) == 2)
            #expect(Self.synchronous(unsynced) == 1)
        }
    }

    @Test func aUsedStateStaysUsedAfterTheStoreIsReopened() async throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("gh-sync-\(UUID().uuidString).sqlite").path
        defer {
            for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) }
        }
        let now = Date()
        let store = try await SQLiteStore.open(path: path, logger: Logger(label: "test"))
        let flow = try await store.insertFlowDeduplicated(makeFlow(now: now), now: now)
        #expect(try await store.consumeState(hash: flow.stateHash, now: now) != nil)
        // Read on the other connection at once.
        #expect(try await store.flow(id: flow.id)?.stateUsed == true)
        try await store.close()

        let reopened = try await SQLiteStore.open(path: path, logger: Logger(label: "test"))
        #expect(try await reopened.flow(id: flow.id)?.stateUsed == true)
        #expect(try await reopened.consumeState(hash: flow.stateHash, now: now) == nil)
        try await reopened.close()
    }
}
