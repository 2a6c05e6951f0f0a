import Foundation
import GatehouseCore
import GatehouseTestSupport
import Logging
import SQLiteNIO
import Testing

@testable import GatehouseSQLite

/// Upgrading a database made before key roles and sealed URLs.
@Suite struct SQLiteMigrationTests {
    /// A database at schema version 2 (before this change), with old-style rows.
    func makeVersion2Database(at path: String) async throws {
        let connection = try await SQLiteConnection.open(storage: .file(path: path), logger: Logger(label: "test"))
        _ = try await connection.query(
            "CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, applied_at REAL NOT NULL)")
        for (index, statements) in SQLiteMigrations.statementMigrations.prefix(2).enumerated() {
            for statement in statements { _ = try await connection.query(statement) }
            _ = try await connection.query("INSERT INTO schema_migrations VALUES (?, 0)", [.integer(index + 1)])
        }
        _ = try await connection.query("INSERT INTO api_keys (hash, name, created_at) VALUES ('abcdef0123456789', 'old', 0)")
        let insert = """
            INSERT INTO flows (id, user_id, provider_id, requested_scopes, authorize_scopes, state_hash, url, status,
                state_used, verification_id, created_at, expires_at, version)
            VALUES (?, 'u', 'p', '[]', '[]', ?, ?, ?, ?, ?, 0, ?, 1)
            """
        let later = Date().timeIntervalSince1970 + 600
        _ = try await connection.query(
            insert,
            [
                .text("ac_pending"), .text("h1"), .text("https://p/authorize?state=S1"), .text("pending"), .integer(1),
                .text("af_clear"), .float(later),
            ])
        _ = try await connection.query(
            insert,
            [
                .text("ac_ended"), .text("h2"), .text("https://p/authorize?state=S2"), .text("completed"), .integer(1), .null,
                .float(later),
            ])
        _ = try await connection.query(
            insert,
            [
                .text("ac_open"), .text("h3"), .text("https://p/authorize?state=S3"), .text("pending"), .integer(0), .null,
                .float(later),
            ])
        try await connection.close()
    }

    @Test func oldKeysStayAdminAndNothingUsableStaysInClear() async throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("gh-mig-\(UUID().uuidString).sqlite").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try await makeVersion2Database(at: path)
        let store = try await SQLiteStore.open(path: path, logger: Logger(label: "test"))
        #expect(try await store.apiKeys().map(\.role) == [.admin])
        // The verification id is found by its hash and no longer stored in clear.
        #expect(try await store.flow(verificationHash: SecretHash.hex("af_clear"))?.id == "ac_pending")
        #expect(try await store.rows("SELECT 1 FROM flows WHERE verification_id = 'af_clear'").isEmpty)
        // No clear URL is left; a flow still waiting for its callback ended, one awaiting
        // verification (its state already used) goes on.
        #expect(try await store.rows("SELECT id FROM flows WHERE url <> ''").isEmpty)
        #expect(try await store.flow(id: "ac_open")?.status == .failed)
        #expect(try await store.flow(id: "ac_pending")?.status == .pending)
        #expect(try await store.flow(id: "ac_ended")?.status == .completed)
        // A key made now names its role.
        try await store.insertAPIKey(APIKeyRecord(hash: "ff00", name: "agent", role: .app, createdAt: Date()))
        #expect(try await store.apiKey(hash: "ff00")?.role == .app)
        try await store.close()
    }

    @Test func aNewerSchemaStopsTheStart() async throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("gh-mig-\(UUID().uuidString).sqlite").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try await makeVersion2Database(at: path)
        let connection = try await SQLiteConnection.open(storage: .file(path: path), logger: Logger(label: "test"))
        _ = try await connection.query("INSERT INTO schema_migrations VALUES (99, 0)")
        try await connection.close()
        await #expect(throws: GatehouseError.self) { _ = try await SQLiteStore.open(path: path, logger: Logger(label: "test")) }
    }

    @Test func aBuildThatKnowsFewerMigrationsRunsOnASchemaWhoseLaterOnesOnlyAdded() async throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("gh-mig-\(UUID().uuidString).sqlite").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        // Made by a build from before the schema recorded its oldest reader.
        try await makeVersion2Database(at: path)
        try await SQLiteStore.open(path: path, logger: Logger(label: "test")).close()
        let known = SQLiteMigrations.all.count
        // The build before the last two migrations (both only add) runs on it, migrating nothing.
        let older = try await SQLiteStore.open(path: path, logger: Logger(label: "test"), through: known - 2)
        try await older.insertAPIKey(APIKeyRecord(hash: "ff01", name: "agent", role: .app, createdAt: Date()))
        #expect(try await older.apiKey(hash: "ff01")?.role == .app)
        #expect(try await older.rows("SELECT MAX(version) AS v FROM schema_migrations").first?.column("v")?.integer == known)
        try await older.close()
        // A build from before the migration that sealed the URLs (it changed rows) is refused.
        let sealing = SQLiteMigrations.statementMigrations.count + 1
        await #expect(throws: GatehouseError.self) {
            _ = try await SQLiteStore.open(path: path, logger: Logger(label: "test"), through: sealing - 1)
        }
        // A later migration that only added runs; one that needs a newer build stops the start.
        let connection = try await SQLiteConnection.open(storage: .file(path: path), logger: Logger(label: "test"))
        _ = try await connection.query("INSERT INTO schema_migrations VALUES (?, 0, ?)", [.integer(known + 1), .integer(known)])
        try await connection.close()
        try await SQLiteStore.open(path: path, logger: Logger(label: "test")).close()
        let again = try await SQLiteConnection.open(storage: .file(path: path), logger: Logger(label: "test"))
        _ = try await again.query(
            "INSERT INTO schema_migrations VALUES (?, 0, ?)", [.integer(known + 2), .integer(known + 2)])
        try await again.close()
        do {
            _ = try await SQLiteStore.open(path: path, logger: Logger(label: "test"))
            Issue.record("a schema that needs a newer build was opened")
        } catch let error as GatehouseError {
            #expect(error.message.contains("needs a Gatehouse that knows \(known + 2) or more"))
        }
    }
}
