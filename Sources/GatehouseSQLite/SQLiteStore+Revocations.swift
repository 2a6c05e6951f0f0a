import Foundation
import GatehouseCore
import GatehouseWire
import SQLiteNIO

// Deleted connections' grants still to be revoked at their providers.
extension SQLiteStore {
    /// The statement that inserts a pending revocation.
    static func insert(_ revocation: PendingRevocation) -> (String, [SQLiteData]) {
        (
            """
            INSERT INTO revocations (id, user_id, provider_id, sealed_tokens, user_info, created_at, attempts,
                next_attempt_at, last_error, destination)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """,
            [
                .text(revocation.id), .text(revocation.userID), .text(revocation.providerID), blob(revocation.sealedTokens),
                jsonOrNull(revocation.userInfo), .float(revocation.createdAt.timeIntervalSince1970),
                .integer(revocation.attempts), .float(revocation.nextAttemptAt.timeIntervalSince1970),
                revocation.lastError.map(SQLiteData.text) ?? .null, .text(revocation.destination),
            ]
        )
    }

    /// Adds a pending revocation unless one with its id is there.
    package func queueRevocation(_ revocation: PendingRevocation) async throws {
        let (sql, binds) = Self.insert(revocation)
        _ = try await rows(sql + " ON CONFLICT(id) DO NOTHING", binds)
    }

    /// Pending revocations due at `now`, soonest first.
    package func dueRevocations(now: Date, limit: Int, excluding: Set<String>) async throws -> [PendingRevocation] {
        let skipped = excluding.sorted()
        let filter = skipped.isEmpty ? "" : " AND provider_id NOT IN (" + skipped.map { _ in "?" }.joined(separator: ", ") + ")"
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

    static func revocation(_ row: SQLiteRow) throws -> PendingRevocation {
        PendingRevocation(
            id: try text(row, "id"), userID: try text(row, "user_id"), providerID: try text(row, "provider_id"),
            sealedTokens: bytes(row, "sealed_tokens") ?? [],
            userInfo: try decode([String: JSONValue].self, row, "user_info"), createdAt: date(row, "created_at"),
            attempts: Int(row.column("attempts")?.integer ?? 0), nextAttemptAt: date(row, "next_attempt_at"),
            lastError: row.column("last_error")?.string, destination: try text(row, "destination"))
    }
}
