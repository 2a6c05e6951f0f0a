import Foundation
import GatehouseCore
import GatehouseTestSupport
import Logging
import SQLiteNIO
import Synchronization
import Testing

@testable import GatehouseSQLite

/// Another process writing to the same file (a `gatehouse` command beside the server): the
/// store's transaction waits for it without holding back the store's other statements, goes on
/// when it ends, and gives up with a 503 if it does not.
@Suite struct SQLiteOtherWriterTests {
    let log = LogRecorder()

    /// Whether a statement has found the file locked by the other process.
    func foundLocked() -> Bool {
        log.logged.contains { $0.message == "the database file is locked by another process's write; waiting for it" }
    }

    /// A store and, on the same file, a second connection standing for the other process.
    func withStoreAndOtherProcess(_ body: (SQLiteStore, SQLiteConnection) async throws -> Void) async throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("gh-other-\(UUID().uuidString).sqlite").path
        defer {
            for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) }
        }
        let store = try await SQLiteStore.open(path: path, logger: log.logger())
        let other = try await SQLiteConnection.open(storage: .file(path: path))
        do {
            _ = try await store.rows("CREATE TABLE marks (n INTEGER)")
            try await body(store, other)
        } catch {
            try? await other.close()
            try? await store.close()
            throw error
        }
        try await other.close()
        try await store.close()
    }

    @Test func aTransactionWaitsForTheOtherWriterWithoutHoldingBackReads() async throws {
        try await withStoreAndOtherProcess { store, other in
            _ = try await other.query("BEGIN IMMEDIATE", [])
            let committed = Mutex(false)
            let transaction = Task {
                try await store.transaction { run in
                    _ = try await run("INSERT INTO marks (n) VALUES (1)", [])
                    // The other process's write ended before this one could begin.
                    #expect(committed.withLock { $0 })
                }
            }
            #expect(try await eventually { foundLocked() })
            // SQLite's own wait would hold the gate: this read would wait for the transaction,
            // which waits for the other process, which waits for this read.
            let read = try await store.rows("SELECT COUNT(*) AS n FROM marks")
            #expect(read.first?.column("n")?.integer == 0)
            committed.withLock { $0 = true }
            _ = try await other.query("COMMIT", [])
            try await transaction.value
            #expect(try await store.rows("SELECT COUNT(*) AS n FROM marks").first?.column("n")?.integer == 1)
        }
    }

    @Test func aWriteThatTheOtherWriterHoldsOffTooLongIsStoreUnavailable() async throws {
        try await withStoreAndOtherProcess { store, other in
            _ = try await other.query("BEGIN IMMEDIATE", [])
            let error = await #expect(throws: GatehouseError.self) {
                _ = try await store.rows("INSERT INTO marks (n) VALUES (1)")
            }
            #expect(error?.code == .storeUnavailable && error?.message.contains("locked") == true)
            _ = try await other.query("ROLLBACK", [])
            // Nothing was written, and the store writes again once the file is free.
            _ = try await store.rows("INSERT INTO marks (n) VALUES (2)")
            #expect(try await store.rows("SELECT SUM(n) AS n FROM marks").first?.column("n")?.integer == 2)
        }
    }

    /// A write whose read snapshot the other side's commit made stale is refused whole
    /// (`busyInSnapshot`; a `reencrypt` beside a busy server met it as 500s): tried again.
    @Test func aWriteRefusedForAStaleSnapshotIsTriedAgain() async throws {
        try await withStoreAndOtherProcess { store, other in
            _ = try await other.query("BEGIN", [])
            _ = try await other.query("SELECT * FROM marks", [])
            _ = try await store.rows("INSERT INTO marks (n) VALUES (1)")
            let refusal = try await #require(throws: SQLiteError.self) {
                try await other.query("INSERT INTO marks (n) VALUES (2)", [])
            }
            _ = try await other.query("ROLLBACK", [])
            #expect(refusal.reason == .busyInSnapshot)
            let calls = Mutex(0)
            let answer = try await store.waitingForOtherWriters { () async throws -> Int in
                if calls.withLock({
                    $0 += 1; return $0
                }) == 1 {
                    throw refusal
                }
                return 42
            }
            #expect(answer == 42 && calls.withLock { $0 } == 2)
            #expect(refusal.loggable == "SQLiteError busyInSnapshot: database is locked")
        }
    }
}
