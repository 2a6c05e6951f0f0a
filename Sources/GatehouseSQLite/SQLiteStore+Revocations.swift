import Foundation
import GatehouseCore
import GatehouseWire
import SQLiteNIO

// Deleted connections' grants still to be revoked at their providers.
extension SQLiteStore {
    /// The statement that inserts a pending revocation; `linkingRetired`: without a retired
    /// provider of its own, it takes the last deleted provider of its id while no provider has
    /// that id (`Store.queueRevocation`).
    static func insert(_ revocation: PendingRevocation, linkingRetired: Bool = false) -> (String, [SQLiteData]) {
        let retired =
            linkingRetired
            ? """
            COALESCE(?, (SELECT key FROM retired_providers WHERE id = ?
                    AND NOT EXISTS (SELECT 1 FROM providers WHERE id = ?) ORDER BY retired_at DESC LIMIT 1))
            """ : "?"
        return (
            """
            INSERT INTO revocations (id, user_id, provider_id, sealed_tokens, user_info, created_at, attempts,
                next_attempt_at, last_error, destination, retired_provider)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, \(retired))
            """,
            [
                .text(revocation.id), .text(revocation.userID), .text(revocation.providerID), blob(revocation.sealedTokens),
                jsonOrNull(revocation.userInfo), .float(revocation.createdAt.timeIntervalSince1970),
                .integer(revocation.attempts), .float(revocation.nextAttemptAt.timeIntervalSince1970),
                revocation.lastError.map(SQLiteData.text) ?? .null, .text(revocation.destination),
                revocation.retiredProvider.map(SQLiteData.text) ?? .null,
            ] + (linkingRetired ? [.text(revocation.providerID), .text(revocation.providerID)] : [])
        )
    }

    /// Adds a pending revocation unless one with its id is there; one whose provider was deleted
    /// goes through the provider as it was.
    package func queueRevocation(_ revocation: PendingRevocation) async throws {
        let (sql, binds) = Self.insert(revocation, linkingRetired: true)
        _ = try await rows(sql + " ON CONFLICT(id) DO NOTHING", binds)
    }

    /// Pending revocations due at `now`, soonest first.
    package func dueRevocations(now: Date, limit: Int, excluding: Set<String>) async throws -> [PendingRevocation] {
        let skipped = excluding.sorted()
        let filter =
            skipped.isEmpty
            ? ""
            : " AND COALESCE(retired_provider, provider_id) NOT IN (" + skipped.map { _ in "?" }.joined(separator: ", ") + ")"
        return try await rows(
            "SELECT * FROM revocations WHERE next_attempt_at <= ?\(filter) ORDER BY next_attempt_at LIMIT ?",
            [.float(now.timeIntervalSince1970)] + skipped.map(SQLiteData.text) + [.integer(limit)]
        ).map(Self.revocation)
    }

    /// Removes a pending revocation.
    @discardableResult
    package func deleteRevocation(id: String) async throws -> Bool {
        try await !rows("DELETE FROM revocations WHERE id = ? RETURNING id", [.text(id)]).isEmpty
    }

    /// Records a failed try.
    package func postponeRevocation(id: String, until next: Date, reason: String) async throws {
        _ = try await rows(
            "UPDATE revocations SET attempts = attempts + 1, next_attempt_at = ?, last_error = ? WHERE id = ?",
            [.float(next.timeIntervalSince1970), .text(reason), .text(id)])
    }

    /// The pending revocations per provider.
    package func revocationBacklog() async throws -> [String: RevocationBacklog] {
        var backlog: [String: RevocationBacklog] = [:]
        for row in try await rows(
            "SELECT provider_id, COUNT(*) AS pending, MIN(created_at) AS oldest FROM revocations GROUP BY provider_id", [])
        {
            backlog[try Self.text(row, "provider_id")] = RevocationBacklog(
                count: Int(row.column("pending")?.integer ?? 0), oldest: Self.date(row, "oldest"))
        }
        return backlog
    }

    /// A deleted provider kept for its grants' revocations.
    package func retiredProvider(key: String) async throws -> RetiredProvider? {
        try await rows("SELECT * FROM retired_providers WHERE key = ?", [.text(key)]).first.map(Self.retiredProvider)
    }

    /// Removes the retired providers no pending revocation names.
    @discardableResult
    package func dropRetiredProviders() async throws -> Int {
        try await rows(
            """
            DELETE FROM retired_providers
            WHERE NOT EXISTS (SELECT 1 FROM revocations WHERE retired_provider = retired_providers.key) RETURNING key
            """, []
        ).count
    }

    /// The statements of a provider's delete that queue its grants' revocations (`order`), in its
    /// transaction, once the provider's row `deleted` and its flows are gone: the provider kept
    /// as it was, every connection's grant queued (under `<connection id>.<key>`, which no other
    /// revocation has) and deleted, and the provider's pending revocations moved to it.
    static func retire(
        _ deleted: ProviderRecord, _ order: RevocationOrder, _ run: (String, [SQLiteData]) async throws -> [SQLiteRow]
    ) async throws {
        let key = RetiredProvider.newKey()
        let at = SQLiteData.float(order.deletedAt.timeIntervalSince1970)
        let (sql, binds) = insert(RetiredProvider(key: key, record: deleted, retiredAt: order.deletedAt))
        _ = try await run(sql, binds)
        _ = try await run(
            """
            INSERT INTO revocations (id, user_id, provider_id, sealed_tokens, user_info, created_at, attempts,
                next_attempt_at, last_error, destination, retired_provider)
            SELECT id || '.' || ?, user_id, provider_id, sealed_tokens, user_info, ?, 0, ?, NULL, ?, ?
            FROM connections WHERE provider_id = ?
            """, [.text(key), at, at, .text(order.destination), .text(key), .text(deleted.id)])
        _ = try await run("DELETE FROM connections WHERE provider_id = ?", [.text(deleted.id)])
        _ = try await run(
            "UPDATE revocations SET retired_provider = ? WHERE provider_id = ? AND retired_provider IS NULL",
            [.text(key), .text(deleted.id)])
        // Nothing to revoke: nothing kept.
        _ = try await run(
            "DELETE FROM retired_providers WHERE key = ? AND NOT EXISTS (SELECT 1 FROM revocations WHERE retired_provider = ?)",
            [.text(key), .text(key)])
    }

    /// The statement that inserts a retired provider.
    static func insert(_ retired: RetiredProvider) -> (String, [SQLiteData]) {
        (
            """
            INSERT INTO retired_providers (key, retired_at, id, description, provider_type, enabled, source, template,
                sealed_secret, secret_hint, created_at, updated_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """,
            [.text(retired.key), .float(retired.retiredAt.timeIntervalSince1970)] + binds(retired.record)
        )
    }

    static func retiredProvider(_ row: SQLiteRow) throws -> RetiredProvider {
        RetiredProvider(key: try text(row, "key"), record: try provider(row), retiredAt: date(row, "retired_at"))
    }

    static func revocation(_ row: SQLiteRow) throws -> PendingRevocation {
        PendingRevocation(
            id: try text(row, "id"), userID: try text(row, "user_id"), providerID: try text(row, "provider_id"),
            sealedTokens: bytes(row, "sealed_tokens") ?? [],
            userInfo: try decode([String: JSONValue].self, row, "user_info"), createdAt: date(row, "created_at"),
            attempts: Int(row.column("attempts")?.integer ?? 0), nextAttemptAt: date(row, "next_attempt_at"),
            lastError: row.column("last_error")?.string, destination: try text(row, "destination"),
            retiredProvider: row.column("retired_provider")?.string)
    }
}
