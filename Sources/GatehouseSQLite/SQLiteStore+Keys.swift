import Foundation
import GatehouseCore
import SQLiteNIO

// API keys (hashes with a role) and settings.
extension SQLiteStore {
    /// One process serves a SQLite file: the job always runs here.
    package func runExclusively(_ job: String, _ body: @Sendable () async throws -> Void) async throws -> Bool {
        try await body()
        return true
    }

    /// The file answers a trivial query, and is still the file this store opened.
    package func ping() async throws {
        try requireUsableFile()
        _ = try await rows("SELECT 1")
    }

    /// One process serves a SQLite file: its in-process paths already hear every change.
    package func publish(_ change: StoreChange) async throws {}

    /// Adds an API key.
    package func insertAPIKey(_ record: APIKeyRecord) async throws {
        _ = try await rows(
            "INSERT INTO api_keys (hash, name, role, created_at, last_used_at) VALUES (?, ?, ?, ?, ?)",
            [
                .text(record.hash), .text(record.name), .text(record.role.rawValue),
                .float(record.createdAt.timeIntervalSince1970),
                record.lastUsedAt.map { .float($0.timeIntervalSince1970) } ?? .null,
            ])
    }

    /// Every API key.
    package func apiKeys() async throws -> [APIKeyRecord] {
        try await rows("SELECT hash, name, role, created_at, last_used_at FROM api_keys ORDER BY created_at").map(Self.apiKey)
    }

    /// Removes keys by hash prefix.
    package func deleteAPIKeys(hashPrefix: String, keepingAnAdmin: Bool) async throws -> Int? {
        guard hashPrefix.count >= 8, hashPrefix.allSatisfy(\.isHexDigit) else { return 0 }
        let prefix: [SQLiteData] = [.integer(hashPrefix.count), .text(hashPrefix.lowercased())]
        return try await transaction { run in
            if keepingAnAdmin {
                let admins = try await run("SELECT substr(hash, 1, ?) = ? AS named FROM api_keys WHERE role = 'admin'", prefix)
                let named = admins.filter { $0.column("named")?.integer == 1 }.count
                if named > 0, named == admins.count { return nil }
            }
            return try await run("DELETE FROM api_keys WHERE substr(hash, 1, ?) = ? RETURNING hash", prefix).count
        }
    }

    /// The key with this hash.
    package func apiKey(hash: String) async throws -> APIKeyRecord? {
        try await rows("SELECT hash, name, role, created_at, last_used_at FROM api_keys WHERE hash = ?", [.text(hash)]).first.map(
            Self.apiKey)
    }

    /// The number of keys.
    package func apiKeyCount() async throws -> Int {
        Int(try await rows("SELECT COUNT(*) AS n FROM api_keys").first?.column("n")?.integer ?? 0)
    }

    /// Moves the key's last use on to `time`, never back.
    package func recordAPIKeyUse(hash: String, at time: Date) async throws {
        _ = try await rows(
            "UPDATE api_keys SET last_used_at = ?2 WHERE hash = ?1 AND (last_used_at IS NULL OR last_used_at < ?2)",
            [.text(hash), .float(time.timeIntervalSince1970)])
    }

    /// A setting.
    package func setting(_ key: String) async throws -> String? {
        try await rows("SELECT value FROM settings WHERE key = ?", [.text(key)]).first?.column("value")?.string
    }

    /// `now`: the processes that open one file run on one host, and its clock.
    package func sharedTime(_ now: Date) async throws -> Date { now }

    /// Writes a setting.
    package func setSetting(_ key: String, value: String) async throws {
        _ = try await rows(
            "INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            [.text(key), .text(value)])
    }

    /// The settings whose key starts with `prefix`.
    package func settings(prefix: String) async throws -> [String: String] {
        var found: [String: String] = [:]
        for row in try await rows(
            "SELECT key, value FROM settings WHERE substr(key, 1, length(?1)) = ?1", [.text(prefix)])
        {
            found[try Self.text(row, "key")] = try Self.text(row, "value")
        }
        return found
    }

    /// Removes a setting.
    package func deleteSetting(_ key: String) async throws {
        _ = try await rows("DELETE FROM settings WHERE key = ?", [.text(key)])
    }
}
