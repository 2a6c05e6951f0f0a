import Foundation
import GatehouseCore
import SQLiteNIO

// Flows: dedupe by open key, single-use state, optimistic updates, the janitor's sweep.
extension SQLiteStore {
    /// Adds a flow unless an open one holds its dedupe key; returns the holder.
    package func insertFlowDeduplicated(_ flow: Flow, now: Date) async throws -> Flow {
        let key = flow.dedupeKey
        for _ in 0..<3 {
            // An expired holder gives the key up; it is failed (and counted) by whoever finds it
            // next: a status read, or the janitor (`expireFlows`).
            _ = try await rows(
                "UPDATE flows SET open_key = NULL, version = version + 1 WHERE open_key = ? AND expires_at <= ?",
                [.text(key), .float(now.timeIntervalSince1970)])
            _ = try await rows(
                """
                INSERT INTO flows (id, user_id, provider_id, requested_scopes, authorize_scopes, state_hash,
                    sealed_verifier, sealed_url, url, next_uri, status, state_used, verification_id, sealed_tokens,
                    user_info, failure_reason, open_key, created_at, expires_at, version)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'pending', 0, NULL, NULL, NULL, NULL, ?, ?, ?, 1)
                ON CONFLICT(open_key) DO NOTHING
                """,
                [
                    .text(flow.id), .text(flow.userID), .text(flow.providerID), .text(Self.json(flow.requestedScopes)),
                    .text(Self.json(flow.authorizeScopes)), .text(flow.stateHash), Self.blob(flow.sealedVerifier),
                    Self.blob(flow.sealedURL), .text(""), flow.nextURI.map(SQLiteData.text) ?? .null, .text(key),
                    .float(flow.createdAt.timeIntervalSince1970), .float(flow.expiresAt.timeIntervalSince1970),
                ])
            if let holder = try await rows("SELECT * FROM flows WHERE open_key = ?", [.text(key)]).first {
                return try Self.flow(holder)
            }
        }
        throw GatehouseError(.internalError, "could not store the flow")
    }

    /// One flow by id.
    package func flow(id: String) async throws -> Flow? {
        try await rows("SELECT * FROM flows WHERE id = ?", [.text(id)]).first.map(Self.flow)
    }

    /// One flow by state hash.
    package func flow(stateHash: String) async throws -> Flow? {
        try await rows("SELECT * FROM flows WHERE state_hash = ?", [.text(stateHash)]).first.map(Self.flow)
    }

    /// One flow by verification-id hash.
    package func flow(verificationHash: String) async throws -> Flow? {
        try await rows("SELECT * FROM flows WHERE verification_id = ?", [.text(verificationHash)]).first.map(Self.flow)
    }

    /// Pending, unexpired flows, newest first.
    package func openFlows(now: Date, limit: Int) async throws -> [Flow] {
        try await rows(
            "SELECT * FROM flows WHERE status = 'pending' AND expires_at > ? ORDER BY created_at DESC LIMIT ?",
            [.float(now.timeIntervalSince1970), .integer(limit)]
        ).map(Self.flow)
    }

    /// Fails pending flows whose time ran out (`flows_pending_expiry` finds them).
    package func expireFlows(now: Date, limit: Int) async throws -> [Flow] {
        try await rows(
            """
            UPDATE flows SET status = 'failed', open_key = NULL, version = version + 1,
                failure_reason = CASE WHEN state_used = 1 AND sealed_tokens IS NULL AND state_used_at IS NOT NULL
                    THEN ? ELSE ? END
            WHERE id IN (
                SELECT id FROM flows WHERE status = 'pending' AND expires_at <= ? ORDER BY expires_at LIMIT ?)
            RETURNING *
            """,
            [
                .text(Flow.callbackInterruptedReason), .text(Flow.expiredReason), .float(now.timeIntervalSince1970),
                .integer(limit),
            ]
        ).map(Self.flow)
    }

    /// Single-use state: marks it used and returns the flow, if it was unused, pending and fresh.
    ///
    /// Without a sync of its own (`unsynced`): every way a callback goes on from here, unless an
    /// error stops it, ends in a durable write (the flow completed, failed, or parked for
    /// verification), which takes the mark to the disk with it. A crash of the machine before
    /// that undoes the mark only together with what the callback did after it: the flow is
    /// pending again, its code not exchanged, or exchanged with nothing kept (a provider refuses a
    /// code used twice). It saves the callback one fsync of the two it waited for
    /// (`docs/performance.md`).
    package func consumeState(hash: String, now: Date, by server: String?) async throws -> Flow? {
        try await unsyncedRows(
            """
            UPDATE flows SET state_used = 1, state_used_at = ?, state_used_by = ?, open_key = NULL, version = version + 1,
                expires_at = MAX(expires_at, ?)
            WHERE state_hash = ? AND state_used = 0 AND status = 'pending' AND expires_at > ?
            RETURNING *
            """,
            [
                .float(now.timeIntervalSince1970), server.map(SQLiteData.text) ?? .null,
                .float(now.addingTimeInterval(Flow.callbackLimit).timeIntervalSince1970), .text(hash),
                .float(now.timeIntervalSince1970),
            ]
        ).first.map(Self.flow)
    }

    /// Optimistic update of a flow.
    package func updateFlow(_ flow: Flow, expectedVersion: Int) async throws -> Flow? {
        let (sql, binds) = Self.update(flow, expectedVersion: expectedVersion)
        return try await rows(sql, binds).first.map(Self.flow)
    }

    static func update(_ flow: Flow, expectedVersion: Int) -> (String, [SQLiteData]) {
        (
            """
            UPDATE flows SET status = ?, sealed_tokens = ?, sealed_verifier = ?, user_info = ?, failure_reason = ?,
                verification_id = ?, open_key = CASE WHEN ? = 'pending' THEN open_key ELSE NULL END, version = version + 1
            WHERE id = ? AND version = ? RETURNING *
            """,
            [
                .text(flow.status.rawValue), blob(flow.sealedTokens), blob(flow.sealedVerifier), jsonOrNull(flow.userInfo),
                flow.failureReason.map(SQLiteData.text) ?? .null, flow.verificationHash.map(SQLiteData.text) ?? .null,
                .text(flow.status.rawValue), .text(flow.id), .integer(expectedVersion),
            ]
        )
    }

    /// Removes old ended flows no connection refers to.
    package func deleteEndedFlows(createdBefore cutoff: Date) async throws -> Int {
        let time = SQLiteData.float(cutoff.timeIntervalSince1970)
        return try await rows(
            """
            DELETE FROM flows
            WHERE created_at < ? AND (status <> 'pending' OR expires_at < ?)
                AND id NOT IN (SELECT auth_id FROM connections)
            RETURNING id
            """, [time, time]
        ).count
    }
}
