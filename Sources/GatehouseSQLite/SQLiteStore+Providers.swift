import Foundation
import GatehouseCore
import SQLiteNIO

// Providers: the templates, with their client secrets sealed.
extension SQLiteStore {
    /// All providers, by id.
    package func providers() async throws -> [ProviderRecord] {
        try await rows("SELECT * FROM providers ORDER BY id").map(Self.provider)
    }

    /// One provider.
    package func provider(id: String) async throws -> ProviderRecord? {
        try await rows("SELECT * FROM providers WHERE id = ?", [.text(id)]).first.map(Self.provider)
    }

    /// Adds a provider; `conflict` when the id is taken. Grants left under its id by an earlier
    /// provider of that id go with the insert: they belong to another server.
    package func insertProvider(_ record: ProviderRecord) async throws {
        try await transaction { run in
            let inserted = try await run(
                """
                INSERT INTO providers (id, description, provider_type, enabled, source, template, sealed_secret,
                    secret_hint, created_at, updated_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(id) DO NOTHING RETURNING id
                """, Self.binds(record))
            guard !inserted.isEmpty else {
                throw GatehouseError.providerExists(record.id)
            }
            try await Self.deleteGrants(ofProvider: record.id, run)
        }
    }

    /// Replaces a provider, possibly renaming it. A rename, or any change with `refusal`, is refused
    /// while connections are stored under the old id (checked in the transaction, so a flow
    /// completing meanwhile is not lost), and deletes the old id's pending revocations; a rename
    /// deletes the old id's flows and whatever an earlier provider left under the new one. A new
    /// template fails the open flows.
    package func updateProvider(
        id: String, with record: ProviderRecord, unlessConnected refusal: GatehouseError?, basedOn: Date?
    ) async throws -> ProviderReplacement? {
        do {
            return try await transaction { run in
                guard let row = try await run("SELECT updated_at FROM providers WHERE id = ?", [.text(id)]).first else {
                    return nil
                }
                if let basedOn, !ProviderChangedMeanwhile.same(row.column("updated_at")?.double, basedOn) {
                    throw ProviderChangedMeanwhile(id: id)
                }
                let failed = try await Self.failOpenFlows(ofProvider: id, changingTo: record, run)
                if record.id != id { _ = try await run("DELETE FROM flows WHERE provider_id = ?", [.text(id)]) }
                if record.id != id || refusal != nil,
                    try await !run("SELECT 1 FROM connections WHERE provider_id = ? LIMIT 1", [.text(id)]).isEmpty
                {
                    throw refusal ?? GatehouseError.providerHasConnections(id)
                }
                if record.id != id || refusal != nil {
                    _ = try await run(
                        "DELETE FROM revocations WHERE provider_id = ? AND retired_provider IS NULL", [.text(id)])
                }
                let updated = try await !run(
                    """
                    UPDATE providers SET id = ?, description = ?, provider_type = ?, enabled = ?, source = ?,
                        template = ?, sealed_secret = ?, secret_hint = ?, created_at = ?, updated_at = ?
                    WHERE id = ? RETURNING id
                    """, Self.binds(record) + [.text(id)]
                ).isEmpty
                guard updated else { return nil }
                if record.id != id { try await Self.deleteGrants(ofProvider: record.id, run) }
                return ProviderReplacement(failedFlowIDs: failed)
            }
        } catch let error as SQLiteError
            where [.constraint, .constraintPrimaryKeyFailed, .constraintUniqueFailed].contains(error.reason)
        {
            throw GatehouseError.providerExists(record.id)
        }
    }

    /// Inserts or replaces a provider; a new template fails the open flows.
    @discardableResult
    package func upsertProvider(_ record: ProviderRecord) async throws -> ProviderReplacement {
        try await transaction { run in
            let failed = try await Self.failOpenFlows(ofProvider: record.id, changingTo: record, run)
            _ = try await run(
                """
                INSERT INTO providers (id, description, provider_type, enabled, source, template, sealed_secret,
                    secret_hint, created_at, updated_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT(id) DO UPDATE SET description = excluded.description,
                    provider_type = excluded.provider_type, enabled = excluded.enabled, source = excluded.source,
                    template = excluded.template, sealed_secret = excluded.sealed_secret,
                    secret_hint = excluded.secret_hint, updated_at = excluded.updated_at
                """, Self.binds(record))
            return ProviderReplacement(failedFlowIDs: failed)
        }
    }

    /// Fails provider `id`'s open flows when `record` stores another template than the stored
    /// one (`ProviderReplacement`); returns their ids. A flow past its expiry whose state was
    /// used counts as open: its callback, or its wait for verification, may still complete it.
    private static func failOpenFlows(
        ofProvider id: String, changingTo record: ProviderRecord, _ run: (String, [SQLiteData]) async throws -> [SQLiteRow]
    ) async throws -> [String] {
        try await run(
            """
            UPDATE flows SET status = 'failed', failure_reason = ?, sealed_tokens = NULL, open_key = NULL,
                version = version + 1
            WHERE provider_id = ? AND status = 'pending' AND (expires_at > ? OR state_used = 1)
                AND EXISTS (SELECT 1 FROM providers WHERE id = ? AND template IS NOT ?)
            RETURNING id
            """,
            [
                .text(Flow.providerChangedReason), .text(id), .float(record.updatedAt.timeIntervalSince1970), .text(id),
                blob(record.templateJSON),
            ]
        ).map { try text($0, "id") }
    }

    /// Removes a provider with its connections and flows; with `revokingAt`, their grants are
    /// queued for revocation through the provider as it was (`retire`).
    package func deleteProvider(id: String, revokingAt deletedAt: Date?) async throws -> ProviderRecord? {
        try await transaction { run in
            guard let row = try await run("DELETE FROM providers WHERE id = ? RETURNING *", [.text(id)]).first else {
                return nil
            }
            let deleted = try Self.provider(row)
            if let order = deletedAt.flatMap({ RevocationOrder(retiring: deleted, at: $0) }) {
                _ = try await run("DELETE FROM flows WHERE provider_id = ?", [.text(id)])
                try await Self.retire(deleted, order, run)
            } else {
                try await Self.deleteGrants(ofProvider: id, run)
            }
            return deleted
        }
    }

    /// Deletes the connections, flows and pending revocations stored under a provider id (but
    /// those a deleted provider of the id sends, which go where its grants came from).
    private static func deleteGrants(
        ofProvider id: String, _ run: (String, [SQLiteData]) async throws -> [SQLiteRow]
    ) async throws {
        for table in ["flows", "connections"] {
            _ = try await run("DELETE FROM \(table) WHERE provider_id = ?", [.text(id)])
        }
        _ = try await run("DELETE FROM revocations WHERE provider_id = ? AND retired_provider IS NULL", [.text(id)])
    }
}
