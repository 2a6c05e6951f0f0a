import Foundation
import GatehouseCore
import PostgresNIO

// Connections: grants by (user, provider), paging, and the refresh lease.
extension PostgresStore {
    /// A user's connection with a provider.
    package func connection(userID: String, providerID: String) async throws -> Connection? {
        try await rows("SELECT * FROM connections WHERE user_id = \(userID) AND provider_id = \(providerID)")
            .first.map(Self.connection)
    }

    /// One connection.
    package func connection(id: String) async throws -> Connection? {
        try await rows("SELECT * FROM connections WHERE id = \(id)").first.map(Self.connection)
    }

    /// Inserts or replaces the (user, provider) connection.
    package func upsertConnection(_ connection: Connection) async throws -> Connection {
        guard let row = try await rows(Self.upsert(connection)).first else {
            throw GatehouseError(.internalError, "could not store the connection")
        }
        return try Self.connection(row)
    }

    /// Completes a flow and stores its connection in one transaction.
    package func completeFlow(_ flow: Flow, expectedVersion: Int, connection: Connection) async throws -> Connection? {
        do {
            let row = try await inTransaction(reportingLostCommit: true) { transaction -> PostgresRandomAccessRow? in
                guard try await !transaction(Self.update(flow, expectedVersion: expectedVersion)).isEmpty else { return nil }
                guard let row = try await transaction(Self.upsert(connection)).first else {
                    throw GatehouseError(.internalError, "could not store the connection")
                }
                return row
            }
            return try row.map(Self.connection)
        } catch let lost as CommitAnswerLost {
            // The person is on the callback page: if the server committed before the connection
            // went, the flow is complete and the page should say so. The flow's version tells:
            // only this write makes it `expectedVersion + 1` and completed.
            logger.debug("a commit's answer was lost; reading the flow back", metadata: ["flow": "\(flow.id)"])
            // The pool must see the connection go first: asked in the same instant, PostgresNIO's
            // pool left the read waiting past its 5 s deadline in about 1 of 5 e2e runs, and in
            // none of 10 with a 100 ms pause.
            try await Task.sleep(for: .milliseconds(250))
            guard let stored = try await self.flow(id: flow.id), stored.status == .completed,
                stored.version == expectedVersion + 1,
                let kept = try await self.connection(userID: connection.userID, providerID: connection.providerID)
            else { throw unavailable(after: lost) }
            logger.notice(
                "a commit's answer was lost with its connection; the flow had completed", metadata: ["flow": "\(flow.id)"])
            return kept
        }
    }

    static func upsert(_ connection: Connection) -> PostgresQuery {
        """
        INSERT INTO connections (id, user_id, provider_id, scopes, sealed_tokens, expires_at, user_info, status,
            auth_id, created_at, updated_at, version)
        VALUES (\(connection.id), \(connection.userID), \(connection.providerID), \(Self.text(connection.scopes)),
            \(Self.blob(connection.sealedTokens)), \(connection.expiresAt.timeIntervalSince1970),
            \(Self.textOrNull(connection.userInfo)), \(connection.status.rawValue), \(connection.authID),
            \(connection.createdAt.timeIntervalSince1970), \(connection.updatedAt.timeIntervalSince1970), 1)
        ON CONFLICT (user_id, provider_id) DO UPDATE SET scopes = excluded.scopes,
            sealed_tokens = excluded.sealed_tokens, expires_at = excluded.expires_at,
            user_info = excluded.user_info, status = excluded.status, auth_id = excluded.auth_id,
            updated_at = excluded.updated_at, version = connections.version + 1,
            lease_owner = NULL, lease_until = NULL
        RETURNING *
        """
    }

    /// A page of connections and the total.
    package func connections(_ query: ConnectionQuery) async throws -> (items: [Connection], total: Int) {
        let items = try await rows(
            """
            SELECT * FROM connections
            WHERE (\(query.userID)::text IS NULL OR user_id = \(query.userID))
                AND (\(query.providerID)::text IS NULL OR provider_id = \(query.providerID))
            ORDER BY provider_id COLLATE "C", user_id COLLATE "C" LIMIT \(query.limit) OFFSET \(query.offset)
            """
        ).map(Self.connection)
        let total =
            try await rows(
                """
                SELECT COUNT(*) AS n FROM connections
                WHERE (\(query.userID)::text IS NULL OR user_id = \(query.userID))
                    AND (\(query.providerID)::text IS NULL OR provider_id = \(query.providerID))
                """
            ).first?["n"].decode(Int.self) ?? 0
        return (items, total)
    }

    /// Removes a connection, returning it as it was, and announces it to every replica in the
    /// same statement: `NOTIFY` is delivered when, and only when, the delete commits, so a lost
    /// connection between the delete and a separate announcement cannot leave other replicas
    /// handing out its token until their cache entries lapse.
    package func deleteConnection(id: String, queueing order: RevocationOrder?) async throws -> Connection? {
        // One statement, so the pending revocation is written exactly when the delete commits.
        let created = order?.deletedAt.timeIntervalSince1970
        let due = order?.deletedAt.addingTimeInterval(PendingRevocation.firstRetryDelay).timeIntervalSince1970
        return try await rows(
            """
            WITH deleted AS (DELETE FROM connections WHERE id = \(id) RETURNING *),
            queued AS (
                INSERT INTO revocations (id, user_id, provider_id, sealed_tokens, user_info, created_at, attempts,
                    next_attempt_at, destination)
                SELECT id, user_id, provider_id, sealed_tokens, user_info, \(created)::DOUBLE PRECISION, 0,
                    \(due)::DOUBLE PRECISION, \(order?.destination)::TEXT
                FROM deleted WHERE \(created)::DOUBLE PRECISION IS NOT NULL)
            SELECT deleted.*, pg_notify(\(Self.channel), \(StoreChange.connection(id).payload)) FROM deleted
            """
        ).first.map(Self.connection)
    }

    /// Connections the refresh sweep should look at.
    package func connectionsToRefresh(expiringBefore: Date, untouchedSince: Date, after: SweepPosition?, limit: Int)
        async throws -> [Connection]
    {
        let expiry = after?.expiresAt.timeIntervalSince1970
        return try await rows(
            """
            SELECT * FROM connections WHERE status = 'active'
                AND (expires_at < \(expiringBefore.timeIntervalSince1970) OR updated_at < \(untouchedSince.timeIntervalSince1970))
                AND provider_id IN (SELECT id FROM providers WHERE enabled)
                AND (\(expiry)::DOUBLE PRECISION IS NULL OR expires_at > \(expiry)
                    OR (expires_at = \(expiry) AND id COLLATE "C" > \(after?.id)))
            ORDER BY expires_at, id COLLATE "C" LIMIT \(limit)
            """
        ).map(Self.connection)
    }

    /// Takes the refresh lease if free or lapsed, measured on `leaseClock`.
    package func acquireRefreshLease(connectionID: String, owner: String, lasting duration: TimeInterval, now: Date)
        async throws -> Connection?
    {
        let callerNow = leaseClock.callerTime(now)
        return try await rows(
            """
            UPDATE connections SET lease_owner = \(owner),
                lease_until = COALESCE(\(callerNow)::DOUBLE PRECISION, \(unescaped: LeaseClock.databaseNow)) + \(duration)
            WHERE id = \(connectionID)
                AND (lease_owner IS NULL OR lease_owner = \(owner)
                    OR lease_until <= COALESCE(\(callerNow)::DOUBLE PRECISION, \(unescaped: LeaseClock.databaseNow)))
            RETURNING *
            """
        ).first.map(Self.connection)
    }

    /// Moves the lease's end, if still held, measured on `leaseClock`.
    package func renewRefreshLease(connectionID: String, owner: String, lasting duration: TimeInterval, now: Date)
        async throws -> Bool
    {
        let callerNow = leaseClock.callerTime(now)
        return try await !rows(
            """
            UPDATE connections
            SET lease_until = COALESCE(\(callerNow)::DOUBLE PRECISION, \(unescaped: LeaseClock.databaseNow)) + \(duration)
            WHERE id = \(connectionID) AND lease_owner = \(owner) RETURNING id
            """
        ).isEmpty
    }

    /// Stores refreshed tokens and frees the lease, if still held and unchanged.
    package func completeRefresh(_ connection: Connection, owner: String) async throws -> Connection? {
        try await rows(
            """
            UPDATE connections SET scopes = \(Self.text(connection.scopes)),
                sealed_tokens = \(Self.blob(connection.sealedTokens)),
                expires_at = \(connection.expiresAt.timeIntervalSince1970),
                user_info = \(Self.textOrNull(connection.userInfo)), status = \(connection.status.rawValue),
                updated_at = \(connection.updatedAt.timeIntervalSince1970), version = version + 1,
                lease_owner = NULL, lease_until = NULL
            WHERE id = \(connection.id) AND lease_owner = \(owner) AND version = \(connection.version) RETURNING *
            """
        ).first.map(Self.connection)
    }

    /// Frees the lease, setting the status.
    package func releaseRefreshLease(connectionID: String, owner: String, status: Connection.Status) async throws {
        _ = try await rows(
            """
            UPDATE connections SET lease_owner = NULL, lease_until = NULL, status = \(status.rawValue),
                version = version + (CASE WHEN status = \(status.rawValue) THEN 0 ELSE 1 END)
            WHERE id = \(connectionID) AND lease_owner = \(owner)
            """)
    }
}
