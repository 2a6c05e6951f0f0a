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

    /// A file removed (or replaced) under the running server takes every later write with it:
    /// readiness says so, where it used to answer 200.
    @Test func aFileRemovedWhileOpenIsNotReady() async throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("gh-gone-\(UUID().uuidString).sqlite").path
        defer {
            for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) }
        }
        let store = try await SQLiteStore.open(path: path, logger: Logger(label: "test"))
        try await store.ping()
        try FileManager.default.moveItem(atPath: path, toPath: path + ".moved")
        defer { try? FileManager.default.removeItem(atPath: path + ".moved") }
        let error = await #expect(throws: GatehouseError.self) { try await store.ping() }
        #expect(error?.code == .storeUnavailable && error?.message.contains("was removed or replaced") == true)
        // Another file in its place is not it either.
        #expect(FileManager.default.createFile(atPath: path, contents: Data()))
        await #expect(throws: GatehouseError.self) { try await store.ping() }
        try await store.close()
    }

    /// A full disk (here, SQLite's page limit) is a 503 that says so, and readiness fails for
    /// a while after, where it used to be a 500 with ready 200.
    @Test func aFullDiskIsStoreUnavailableAndNotReady() async throws {
        try await StoreBackend.withSQLite { store in
            try await store.ping()
            let pages = try #require(try await store.rows("PRAGMA page_count").first?.column("page_count")?.integer)
            _ = try await store.rows("PRAGMA max_page_count = \(pages)")
            let error = await #expect(throws: GatehouseError.self) {
                try await store.setSetting("filler", value: String(repeating: "x", count: 200_000))
            }
            #expect(error?.code == .storeUnavailable && error?.message == "the database file cannot be used: the disk is full")
            let notReady = await #expect(throws: GatehouseError.self) { try await store.ping() }
            #expect(notReady?.message.contains("could not be used just now: the disk is full") == true)
        }
    }

    /// A file that is not a database stops the start with what it is, not SQLite's words alone.
    @Test func aDamagedFileIsSaidAtOpen() async throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("gh-bad-\(UUID().uuidString).sqlite").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try Data(repeating: 0x41, count: 8192).write(to: URL(fileURLWithPath: path))
        let error = await #expect(throws: GatehouseError.self) {
            _ = try await SQLiteStore.open(path: path, logger: Logger(label: "test"))
        }
        #expect(error?.message.contains("it is damaged or not a Gatehouse database; restore it from a backup") == true)
    }
}
