import Foundation
import GatehouseCore
import SQLiteNIO

// Connections: grants by (user, provider), paging, and the refresh lease.
extension SQLiteStore {
    /// A user's connection with a provider.
    package func connection(userID: String, providerID: String) async throws -> Connection? {
        try await rows("SELECT * FROM connections WHERE user_id = ? AND provider_id = ?", [.text(userID), .text(providerID)])
            .first.map(Self.connection)
    }

    /// One connection.
    package func connection(id: String) async throws -> Connection? {
        try await rows("SELECT * FROM connections WHERE id = ?", [.text(id)]).first.map(Self.connection)
    }

    /// Inserts or replaces the (user, provider) connection.
    package func upsertConnection(_ connection: Connection) async throws -> Connection {
        let (sql, binds) = Self.upsert(connection)
        guard let row = try await rows(sql, binds).first else {
            throw GatehouseError(.internalError, "could not store the connection")
        }
        return try Self.connection(row)
    }

    /// Completes a flow and stores its connection in one transaction.
    package func completeFlow(_ flow: Flow, expectedVersion: Int, connection: Connection) async throws -> Connection? {
        try await transaction { run in
            let (flowSQL, flowBinds) = Self.update(flow, expectedVersion: expectedVersion)
            guard try await !run(flowSQL, flowBinds).isEmpty else { return nil }
            let (sql, binds) = Self.upsert(connection)
            guard let row = try await run(sql, binds).first else {
                throw GatehouseError(.internalError, "could not store the connection")
            }
            return try Self.connection(row)
        }
    }

    static func upsert(_ connection: Connection) -> (String, [SQLiteData]) {
        (
            """
            INSERT INTO connections (id, user_id, provider_id, scopes, sealed_tokens, expires_at, user_info, status,
                auth_id, created_at, updated_at, version)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1)
            ON CONFLICT(user_id, provider_id) DO UPDATE SET scopes = excluded.scopes,
                sealed_tokens = excluded.sealed_tokens, expires_at = excluded.expires_at,
                user_info = excluded.user_info, status = excluded.status, auth_id = excluded.auth_id,
                updated_at = excluded.updated_at, version = connections.version + 1,
                lease_owner = NULL, lease_until = NULL
            RETURNING *
            """,
            [
                .text(connection.id), .text(connection.userID), .text(connection.providerID),
                .text(json(connection.scopes)), blob(connection.sealedTokens),
                .float(connection.expiresAt.timeIntervalSince1970), jsonOrNull(connection.userInfo),
                .text(connection.status.rawValue), .text(connection.authID),
                .float(connection.createdAt.timeIntervalSince1970), .float(connection.updatedAt.timeIntervalSince1970),
            ]
        )
    }

    /// A page of connections and the total.
    package func connections(_ query: ConnectionQuery) async throws -> (items: [Connection], total: Int) {
        let filter = "WHERE (? IS NULL OR user_id = ?) AND (? IS NULL OR provider_id = ?)"
        let user = query.userID.map(SQLiteData.text) ?? .null
        let provider = query.providerID.map(SQLiteData.text) ?? .null
        let items = try await rows(
            "SELECT * FROM connections \(filter) ORDER BY provider_id, user_id LIMIT ? OFFSET ?",
            [user, user, provider, provider, .integer(query.limit), .integer(query.offset)]
        ).map(Self.connection)
        let total =
            try await rows("SELECT COUNT(*) AS n FROM connections \(filter)", [user, user, provider, provider])
            .first?.column("n")?.integer ?? 0
        return (items, Int(total))
    }

    /// Removes a connection, returning it as it was; with an `order`, queues its revocation in
    /// the same transaction.
    package func deleteConnection(id: String, queueing order: RevocationOrder?) async throws -> Connection? {
        guard let order else {
            return try await rows("DELETE FROM connections WHERE id = ? RETURNING *", [.text(id)]).first.map(Self.connection)
        }
        return try await transaction { run in
            guard let row = try await run("DELETE FROM connections WHERE id = ? RETURNING *", [.text(id)]).first else {
                return nil
            }
            let connection = try Self.connection(row)
            let (sql, binds) = Self.insert(PendingRevocation(of: connection, order))
            _ = try await run(sql, binds)
            return connection
        }
    }

    /// Connections the refresh sweep should look at.
    package func connectionsToRefresh(expiringBefore: Date, untouchedSince: Date, after: SweepPosition?, limit: Int)
        async throws -> [Connection]
    {
        let expiry = after.map { SQLiteData.float($0.expiresAt.timeIntervalSince1970) } ?? .null
        return try await rows(
            """
            SELECT * FROM connections WHERE status = 'active' AND (expires_at < ? OR updated_at < ?)
                AND provider_id IN (SELECT id FROM providers WHERE enabled = 1)
                AND (? IS NULL OR expires_at > ? OR (expires_at = ? AND id > ?))
            ORDER BY expires_at, id LIMIT ?
            """,
            [
                .float(expiringBefore.timeIntervalSince1970), .float(untouchedSince.timeIntervalSince1970), expiry, expiry,
                expiry, after.map { .text($0.id) } ?? .null, .integer(limit),
            ]
        ).map(Self.connection)
    }

    /// Takes the refresh lease if free or lapsed. The lease is on the caller's clock: the
    /// processes that share a database file share a host, and so a clock.
    package func acquireRefreshLease(connectionID: String, owner: String, lasting duration: TimeInterval, now: Date)
        async throws -> Connection?
    {
        try await rows(
            """
            UPDATE connections SET lease_owner = ?, lease_until = ?
            WHERE id = ? AND (lease_owner IS NULL OR lease_owner = ? OR lease_until <= ?) RETURNING *
            """,
            [
                .text(owner), .float(now.timeIntervalSince1970 + duration), .text(connectionID), .text(owner),
                .float(now.timeIntervalSince1970),
            ]
        ).first.map(Self.connection)
    }

    /// Moves the lease's end, if still held.
    package func renewRefreshLease(connectionID: String, owner: String, lasting duration: TimeInterval, now: Date)
        async throws -> Bool
    {
        try await !rows(
            "UPDATE connections SET lease_until = ? WHERE id = ? AND lease_owner = ? RETURNING id",
            [.float(now.timeIntervalSince1970 + duration), .text(connectionID), .text(owner)]
        ).isEmpty
    }

    /// Stores refreshed tokens and frees the lease, if still held and unchanged.
    package func completeRefresh(_ connection: Connection, owner: String) async throws -> Connection? {
        try await rows(
            """
            UPDATE connections SET scopes = ?, sealed_tokens = ?, expires_at = ?, user_info = ?, status = ?,
                updated_at = ?, version = version + 1, lease_owner = NULL, lease_until = NULL
            WHERE id = ? AND lease_owner = ? AND version = ? RETURNING *
            """,
            [
                .text(Self.json(connection.scopes)), Self.blob(connection.sealedTokens),
                .float(connection.expiresAt.timeIntervalSince1970), Self.jsonOrNull(connection.userInfo),
                .text(connection.status.rawValue), .float(connection.updatedAt.timeIntervalSince1970),
                .text(connection.id), .text(owner), .integer(connection.version),
            ]
        ).first.map(Self.connection)
    }

    /// Frees the lease, setting the status.
    package func releaseRefreshLease(connectionID: String, owner: String, status: Connection.Status) async throws {
        _ = try await rows(
            """
            UPDATE connections SET lease_owner = NULL, lease_until = NULL, status = ?,
                version = version + (CASE WHEN status = ? THEN 0 ELSE 1 END)
            WHERE id = ? AND lease_owner = ?
            """, [.text(status.rawValue), .text(status.rawValue), .text(connectionID), .text(owner)])
    }
}
