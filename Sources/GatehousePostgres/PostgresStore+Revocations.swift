import Foundation
import GatehouseCore
import GatehouseWire
import PostgresNIO

// Deleted connections' grants still to be revoked at their providers (queued by
// `deleteConnection(id:queueing:)`).
extension PostgresStore {
    /// Adds a pending revocation unless one with its id is there; one whose provider was deleted
    /// goes through the provider as it was: without a retired provider of its own, it takes the
    /// last deleted provider of its id while no provider has that id.
    package func queueRevocation(_ r: PendingRevocation) async throws {
        _ = try await rows(
            """
            INSERT INTO revocations (id, user_id, provider_id, sealed_tokens, user_info, created_at, attempts,
                next_attempt_at, last_error, destination, retired_provider)
            VALUES (\(r.id), \(r.userID), \(r.providerID), \(Self.blob(r.sealedTokens)), \(Self.textOrNull(r.userInfo)),
                \(r.createdAt.timeIntervalSince1970), \(r.attempts), \(r.nextAttemptAt.timeIntervalSince1970),
                \(r.lastError), \(r.destination),
                COALESCE(\(r.retiredProvider), (
                    SELECT key FROM retired_providers WHERE id = \(r.providerID)
                        AND NOT EXISTS (SELECT 1 FROM providers WHERE id = \(r.providerID))
                    ORDER BY retired_at DESC LIMIT 1)))
            ON CONFLICT (id) DO NOTHING
            """)
    }

    /// The statement that inserts a pending revocation.
    static func insert(_ r: PendingRevocation) -> PostgresQuery {
        """
        INSERT INTO revocations (id, user_id, provider_id, sealed_tokens, user_info, created_at, attempts,
            next_attempt_at, last_error, destination, retired_provider)
        VALUES (\(r.id), \(r.userID), \(r.providerID), \(Self.blob(r.sealedTokens)), \(Self.textOrNull(r.userInfo)),
            \(r.createdAt.timeIntervalSince1970), \(r.attempts), \(r.nextAttemptAt.timeIntervalSince1970),
            \(r.lastError), \(r.destination), \(r.retiredProvider))
        """
    }

    /// Pending revocations due at `now`, soonest first.
    package func dueRevocations(now: Date, limit: Int, excluding: Set<String>) async throws -> [PendingRevocation] {
        try await rows(
            """
            SELECT * FROM revocations WHERE next_attempt_at <= \(now.timeIntervalSince1970)
                AND COALESCE(retired_provider, provider_id) <> ALL(\(excluding.sorted())::TEXT[])
            ORDER BY next_attempt_at LIMIT \(limit)
            """
        ).map(Self.revocation)
    }

    /// Removes a pending revocation.
    @discardableResult
    package func deleteRevocation(id: String) async throws -> Bool {
        try await !rows("DELETE FROM revocations WHERE id = \(id) RETURNING id").isEmpty
    }

    /// Records a failed try.
    package func postponeRevocation(id: String, until next: Date, reason: String) async throws {
        _ = try await rows(
            """
            UPDATE revocations SET attempts = attempts + 1, next_attempt_at = \(next.timeIntervalSince1970),
                last_error = \(reason)
            WHERE id = \(id)
            """)
    }

    /// The pending revocations per provider.
    package func revocationBacklog() async throws -> [String: RevocationBacklog] {
        var backlog: [String: RevocationBacklog] = [:]
        for row in try await rows(
            "SELECT provider_id, COUNT(*) AS pending, MIN(created_at) AS oldest FROM revocations GROUP BY provider_id")
        {
            backlog[try row["provider_id"].decode(String.self)] = RevocationBacklog(
                count: try row["pending"].decode(Int.self), oldest: try Self.date(row, "oldest"))
        }
        return backlog
    }

    /// A deleted provider kept for its grants' revocations.
    package func retiredProvider(key: String) async throws -> RetiredProvider? {
        try await rows("SELECT * FROM retired_providers WHERE key = \(key)").first.map(Self.retiredProvider)
    }

    /// Removes the retired providers no pending revocation names.
    @discardableResult
    package func dropRetiredProviders() async throws -> Int {
        try await rows(
            """
            DELETE FROM retired_providers
            WHERE NOT EXISTS (SELECT 1 FROM revocations WHERE retired_provider = retired_providers.key) RETURNING key
            """
        ).count
    }

    /// The statements of a provider's delete that queue its grants' revocations (`order`), in its
    /// transaction, once the provider's row `deleted` and its flows are gone: the provider kept
    /// as it was; every connection deleted and its grant queued (under `<connection id>.<key>`,
    /// which no other revocation has) by one statement, so none is deleted unqueued; then the
    /// provider's pending revocations moved to it, those a connection delete committed meanwhile
    /// too.
    static func retire(
        _ deleted: ProviderRecord, _ order: RevocationOrder,
        _ run: (PostgresQuery) async throws -> [PostgresRandomAccessRow]
    ) async throws {
        let key = RetiredProvider.newKey()
        let at = order.deletedAt.timeIntervalSince1970
        _ = try await run(insert(RetiredProvider(key: key, record: deleted, retiredAt: order.deletedAt)))
        _ = try await run(
            """
            WITH gone AS (DELETE FROM connections WHERE provider_id = \(deleted.id) RETURNING *)
            INSERT INTO revocations (id, user_id, provider_id, sealed_tokens, user_info, created_at, attempts,
                next_attempt_at, last_error, destination, retired_provider)
            SELECT id || '.' || \(key), user_id, provider_id, sealed_tokens, user_info, \(at), 0, \(at), NULL,
                \(order.destination), \(key)
            FROM gone
            """)
        _ = try await run(
            "UPDATE revocations SET retired_provider = \(key) WHERE provider_id = \(deleted.id) AND retired_provider IS NULL")
        // Nothing to revoke: nothing kept.
        _ = try await run(
            """
            DELETE FROM retired_providers
            WHERE key = \(key) AND NOT EXISTS (SELECT 1 FROM revocations WHERE retired_provider = \(key))
            """)
    }

    /// The statement that inserts a retired provider.
    static func insert(_ retired: RetiredProvider) -> PostgresQuery {
        let p = retired.record
        return """
            INSERT INTO retired_providers (key, retired_at, id, description, provider_type, enabled, source, template,
                sealed_secret, secret_hint, created_at, updated_at)
            VALUES (\(retired.key), \(retired.retiredAt.timeIntervalSince1970), \(p.id), \(p.description), \(p.providerType),
                \(p.enabled), \(p.source), \(Self.blob(p.templateJSON)), \(Self.blob(p.sealedSecret)), \(p.secretHint),
                \(p.createdAt.timeIntervalSince1970), \(p.updatedAt.timeIntervalSince1970))
            """
    }

    static func retiredProvider(_ row: PostgresRandomAccessRow) throws -> RetiredProvider {
        RetiredProvider(
            key: try row["key"].decode(String.self), record: try provider(row), retiredAt: try date(row, "retired_at"))
    }

    static func revocation(_ row: PostgresRandomAccessRow) throws -> PendingRevocation {
        PendingRevocation(
            id: try row["id"].decode(String.self), userID: try row["user_id"].decode(String.self),
            providerID: try row["provider_id"].decode(String.self), sealedTokens: try bytes(row, "sealed_tokens") ?? [],
            userInfo: try json([String: JSONValue].self, row, "user_info"), createdAt: try date(row, "created_at"),
            attempts: try row["attempts"].decode(Int.self), nextAttemptAt: try date(row, "next_attempt_at"),
            lastError: try row["last_error"].decode(String?.self), destination: try row["destination"].decode(String.self),
            retiredProvider: try row["retired_provider"].decode(String?.self))
    }
}
