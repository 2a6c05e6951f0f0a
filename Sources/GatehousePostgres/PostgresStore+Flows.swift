import Foundation
import GatehouseCore
import PostgresNIO

// Flows: dedupe by open key, single-use state, optimistic updates, the janitor's sweep.
extension PostgresStore {
    /// Adds a flow unless an open one holds its dedupe key; returns the holder.
    package func insertFlowDeduplicated(_ flow: Flow, now: Date) async throws -> Flow {
        let key = flow.dedupeKey
        let time = now.timeIntervalSince1970
        for _ in 0..<3 {
            // An expired holder gives the key up; it is failed (and counted) by whoever finds it
            // next: a status read, or the janitor (`expireFlows`).
            _ = try await rows(
                "UPDATE flows SET open_key = NULL, version = version + 1 WHERE open_key = \(key) AND expires_at <= \(time)")
            _ = try await rows(
                """
                INSERT INTO flows (id, user_id, provider_id, requested_scopes, authorize_scopes, state_hash,
                    sealed_verifier, sealed_url, next_uri, status, state_used, verification_id, sealed_tokens,
                    user_info, failure_reason, open_key, created_at, expires_at, version)
                VALUES (\(flow.id), \(flow.userID), \(flow.providerID), \(Self.text(flow.requestedScopes)),
                    \(Self.text(flow.authorizeScopes)), \(flow.stateHash), \(Self.blob(flow.sealedVerifier)),
                    \(Self.blob(flow.sealedURL)), \(flow.nextURI), 'pending', false, NULL, NULL, NULL, NULL, \(key),
                    \(flow.createdAt.timeIntervalSince1970), \(flow.expiresAt.timeIntervalSince1970), 1)
                ON CONFLICT (open_key) DO NOTHING
                """)
            if let holder = try await rows("SELECT * FROM flows WHERE open_key = \(key)").first {
                return try Self.flow(holder)
            }
        }
        throw GatehouseError(.internalError, "could not store the flow")
    }

    /// Fails pending flows whose time ran out (`flows_pending_expiry` finds them); a flow taken
    /// by another replica's status read meanwhile is skipped, not failed twice. (The rows are
    /// chosen in a CTE, which runs once: as an `IN` subquery, its `LIMIT` did not hold.)
    package func expireFlows(now: Date, limit: Int) async throws -> [Flow] {
        try await rows(
            """
            WITH due AS (
                SELECT id FROM flows WHERE status = 'pending' AND expires_at <= \(now.timeIntervalSince1970)
                ORDER BY expires_at LIMIT \(limit) FOR UPDATE SKIP LOCKED)
            UPDATE flows SET status = 'failed', open_key = NULL, version = flows.version + 1,
                failure_reason = CASE WHEN state_used AND sealed_tokens IS NULL AND state_used_at IS NOT NULL
                    THEN \(Flow.callbackInterruptedReason) ELSE \(Flow.expiredReason) END
            FROM due WHERE flows.id = due.id AND flows.status = 'pending'
            RETURNING flows.*
            """
        ).map(Self.flow)
    }

    /// One flow by id.
    package func flow(id: String) async throws -> Flow? {
        try await rows("SELECT * FROM flows WHERE id = \(id)").first.map(Self.flow)
    }

    /// One flow by state hash.
    package func flow(stateHash: String) async throws -> Flow? {
        try await rows("SELECT * FROM flows WHERE state_hash = \(stateHash)").first.map(Self.flow)
    }

    /// One flow by verification-id hash.
    package func flow(verificationHash: String) async throws -> Flow? {
        try await rows("SELECT * FROM flows WHERE verification_id = \(verificationHash)").first.map(Self.flow)
    }

    /// Pending, unexpired flows, newest first.
    package func openFlows(now: Date, limit: Int) async throws -> [Flow] {
        try await rows(
            """
            SELECT * FROM flows WHERE status = 'pending' AND expires_at > \(now.timeIntervalSince1970)
            ORDER BY created_at DESC LIMIT \(limit)
            """
        ).map(Self.flow)
    }

    /// Single-use state: marks it used and returns the flow, if it was unused, pending and fresh.
    package func consumeState(hash: String, now: Date, by server: String?) async throws -> Flow? {
        try await rows(
            """
            UPDATE flows SET state_used = true, state_used_by = \(server),
                -- On the database's clock: other replicas compare it with the heartbeats (`sharedTime`).
                state_used_at = COALESCE(\(leaseClock.callerTime(now))::DOUBLE PRECISION, \(unescaped: LeaseClock.databaseNow)),
                open_key = NULL,
                version = version + 1,
                expires_at = GREATEST(expires_at, \(now.addingTimeInterval(Flow.callbackLimit).timeIntervalSince1970))
            WHERE state_hash = \(hash) AND NOT state_used AND status = 'pending' AND expires_at > \(now.timeIntervalSince1970)
            RETURNING *
            """
        ).first.map(Self.flow)
    }

    /// Optimistic update of a flow.
    package func updateFlow(_ flow: Flow, expectedVersion: Int) async throws -> Flow? {
        try await rows(Self.update(flow, expectedVersion: expectedVersion)).first.map(Self.flow)
    }

    static func update(_ flow: Flow, expectedVersion: Int) -> PostgresQuery {
        """
        UPDATE flows SET status = \(flow.status.rawValue), sealed_tokens = \(Self.blob(flow.sealedTokens)),
            sealed_verifier = \(Self.blob(flow.sealedVerifier)),
            user_info = \(Self.textOrNull(flow.userInfo)), failure_reason = \(flow.failureReason),
            verification_id = \(flow.verificationHash),
            open_key = CASE WHEN \(flow.status.rawValue) = 'pending' THEN open_key ELSE NULL END,
            version = version + 1
        WHERE id = \(flow.id) AND version = \(expectedVersion) RETURNING *
        """
    }

    /// Removes old ended flows no connection refers to.
    package func deleteEndedFlows(createdBefore cutoff: Date) async throws -> Int {
        let time = cutoff.timeIntervalSince1970
        return try await rows(
            """
            DELETE FROM flows
            WHERE created_at < \(time) AND (status <> 'pending' OR expires_at < \(time))
                AND id NOT IN (SELECT auth_id FROM connections)
            RETURNING id
            """
        ).count
    }
}
