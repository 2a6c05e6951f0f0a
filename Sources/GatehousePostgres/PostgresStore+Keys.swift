import Foundation
import GatehouseCore
import PostgresNIO

// API keys (hashes with a role) and settings.
extension PostgresStore {
    /// `NOTIFY` on the channel every replica listens to.
    package func publish(_ change: StoreChange) async throws {
        _ = try await rows("SELECT pg_notify(\(Self.channel), \(change.payload))")
    }

    /// Adds an API key.
    package func insertAPIKey(_ record: APIKeyRecord) async throws {
        _ = try await rows(
            """
            INSERT INTO api_keys (hash, name, role, created_at, last_used_at)
            VALUES (\(record.hash), \(record.name), \(record.role.rawValue), \(record.createdAt.timeIntervalSince1970),
                \(record.lastUsedAt?.timeIntervalSince1970))
            """)
    }

    /// Every API key, oldest first.
    package func apiKeys() async throws -> [APIKeyRecord] {
        try await rows("SELECT hash, name, role, created_at, last_used_at FROM api_keys ORDER BY created_at").map(Self.apiKey)
    }

    /// Removes keys by hash prefix.
    package func deleteAPIKeys(hashPrefix: String, keepingAnAdmin: Bool) async throws -> Int? {
        guard hashPrefix.count >= 8, hashPrefix.allSatisfy(\.isHexDigit) else { return 0 }
        let prefix = hashPrefix.lowercased()
        return try await inTransaction { run in
            if keepingAnAdmin {
                // The admin rows locked: a concurrent revocation waits, then sees this one's outcome.
                let admins = try await run(
                    "SELECT left(hash, \(prefix.count)::integer) = \(prefix) AS named FROM api_keys WHERE role = 'admin' FOR UPDATE"
                )
                let named = try admins.filter { try $0["named"].decode(Bool.self) }.count
                if named > 0, named == admins.count { return nil }
            }
            return try await run(
                "DELETE FROM api_keys WHERE left(hash, \(prefix.count)::integer) = \(prefix) RETURNING hash"
            ).count
        }
    }

    /// The key with this hash.
    package func apiKey(hash: String) async throws -> APIKeyRecord? {
        try await rows("SELECT hash, name, role, created_at, last_used_at FROM api_keys WHERE hash = \(hash)").first.map(
            Self.apiKey)
    }

    /// The number of keys.
    package func apiKeyCount() async throws -> Int {
        try await rows("SELECT COUNT(*) AS n FROM api_keys").first?["n"].decode(Int.self) ?? 0
    }

    /// A setting.
    package func setting(_ key: String) async throws -> String? {
        try await rows("SELECT value FROM settings WHERE key = \(key)").first?["value"].decode(String.self)
    }

    /// The database server's time (`now` when `leaseClock` is the caller's).
    package func sharedTime(_ now: Date) async throws -> Date {
        guard leaseClock == .database else { return now }
        let row = try await rows("SELECT \(unescaped: LeaseClock.databaseNow) AS now").first
        return Date(timeIntervalSince1970: try row.map { try $0["now"].decode(Double.self) } ?? now.timeIntervalSince1970)
    }

    /// Moves the key's last use on to `time`, never back.
    package func recordAPIKeyUse(hash: String, at time: Date) async throws {
        let seconds = time.timeIntervalSince1970
        _ = try await rows(
            """
            UPDATE api_keys SET last_used_at = \(seconds)
            WHERE hash = \(hash) AND (last_used_at IS NULL OR last_used_at < \(seconds))
            """)
    }

    /// Writes a setting.
    package func setSetting(_ key: String, value: String) async throws {
        _ = try await rows(
            "INSERT INTO settings (key, value) VALUES (\(key), \(value)) ON CONFLICT (key) DO UPDATE SET value = excluded.value")
    }

    /// The settings whose key starts with `prefix`.
    package func settings(prefix: String) async throws -> [String: String] {
        var found: [String: String] = [:]
        for row in try await rows("SELECT key, value FROM settings WHERE left(key, length(\(prefix))) = \(prefix)") {
            found[try row["key"].decode(String.self)] = try row["value"].decode(String.self)
        }
        return found
    }

    /// Removes a setting.
    package func deleteSetting(_ key: String) async throws {
        _ = try await rows("DELETE FROM settings WHERE key = \(key)")
    }
}
