import Foundation
import GatehouseCore
import GatehouseWire
import PostgresNIO

// Deleted connections' grants still to be revoked at their providers (queued by
// `deleteConnection(id:queueing:)`).
extension PostgresStore {
    /// Adds a pending revocation unless one with its id is there.
    package func queueRevocation(_ revocation: PendingRevocation) async throws {
        _ = try await rows(Self.insert(revocation, unlessThere: true))
    }

    /// The statement that inserts a pending revocation; `unlessThere`: nothing when its id is taken.
    static func insert(_ r: PendingRevocation, unlessThere: Bool = false) -> PostgresQuery {
        """
        INSERT INTO revocations (id, user_id, provider_id, sealed_tokens, user_info, created_at, attempts,
            next_attempt_at, last_error, destination)
        VALUES (\(r.id), \(r.userID), \(r.providerID), \(Self.blob(r.sealedTokens)), \(Self.textOrNull(r.userInfo)),
            \(r.createdAt.timeIntervalSince1970), \(r.attempts), \(r.nextAttemptAt.timeIntervalSince1970),
            \(r.lastError), \(r.destination))
        \(unescaped: unlessThere ? "ON CONFLICT (id) DO NOTHING" : "")
        """
    }

    /// Pending revocations due at `now`, soonest first.
    package func dueRevocations(now: Date, limit: Int, excluding: Set<String>) async throws -> [PendingRevocation] {
        try await rows(
            """
            SELECT * FROM revocations WHERE next_attempt_at <= \(now.timeIntervalSince1970)
                AND provider_id <> ALL(\(excluding.sorted())::TEXT[])
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

    static func revocation(_ row: PostgresRandomAccessRow) throws -> PendingRevocation {
        PendingRevocation(
            id: try row["id"].decode(String.self), userID: try row["user_id"].decode(String.self),
            providerID: try row["provider_id"].decode(String.self), sealedTokens: try bytes(row, "sealed_tokens") ?? [],
            userInfo: try json([String: JSONValue].self, row, "user_info"), createdAt: try date(row, "created_at"),
            attempts: try row["attempts"].decode(Int.self), nextAttemptAt: try date(row, "next_attempt_at"),
            lastError: try row["last_error"].decode(String?.self), destination: try row["destination"].decode(String.self))
    }
}
