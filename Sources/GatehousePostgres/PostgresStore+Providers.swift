import Foundation
import GatehouseCore
import PostgresNIO

// Providers: the templates, with their client secrets sealed.
extension PostgresStore {
    /// All providers, by id.
    package func providers() async throws -> [ProviderRecord] {
        try await rows(#"SELECT * FROM providers ORDER BY id COLLATE "C""#).map(Self.provider)
    }

    /// One provider.
    package func provider(id: String) async throws -> ProviderRecord? {
        try await rows("SELECT * FROM providers WHERE id = \(id)").first.map(Self.provider)
    }

    /// Adds a provider; `conflict` when the id is taken. Grants left under its id by an earlier
    /// provider of that id go with the insert: they belong to another server.
    package func insertProvider(_ record: ProviderRecord) async throws {
        try await inTransaction { run in
            let inserted = try await run(
                """
                INSERT INTO providers (id, description, provider_type, enabled, source, template, sealed_secret,
                    secret_hint, created_at, updated_at)
                VALUES (\(record.id), \(record.description), \(record.providerType), \(record.enabled), \(record.source),
                    \(Self.blob(record.templateJSON)), \(Self.blob(record.sealedSecret)), \(record.secretHint),
                    \(record.createdAt.timeIntervalSince1970), \(record.updatedAt.timeIntervalSince1970))
                ON CONFLICT (id) DO NOTHING RETURNING id
                """)
            guard !inserted.isEmpty else {
                throw GatehouseError.providerExists(record.id)
            }
            try await Self.deleteGrants(ofProvider: record.id, run)
            try await Self.announceProviders(run)
        }
    }

    /// Replaces a provider, possibly renaming it. A rename, or any change with `refusal`, is refused
    /// while connections are stored under the old id (checked in the transaction); a rename
    /// deletes the old id's flows and whatever an earlier provider left under the new one. A new
    /// template fails the open flows first: a flow that completed before that statement is
    /// counted by the check (the statement waits for a completion under way, which updates the
    /// flow's row before it stores the connection), and one that completes after it finds its
    /// flow failed and stores nothing. So no grant lands under a template its tokens were not
    /// issued for. A rename deletes the old id's flows before the check in the same way, so a
    /// connection under the old id is either counted (and the rename refused) or never stored.
    /// This rests on READ COMMITTED, PostgreSQL's default: each statement sees what committed
    /// before it, and one that waited on a row lock checks the row again (under REPEATABLE READ
    /// the waiting statement fails instead, a 500, not a wrong result).
    package func updateProvider(
        id: String, with record: ProviderRecord, unlessConnected refusal: GatehouseError?, basedOn: Date?
    ) async throws -> ProviderReplacement? {
        do {
            return try await inTransaction { run in
                // Concurrent changes of one provider take turns.
                guard let row = try await run("SELECT updated_at FROM providers WHERE id = \(id) FOR UPDATE").first else {
                    return nil
                }
                if let basedOn, !ProviderChangedMeanwhile.same(try row["updated_at"].decode(Double.self), basedOn) {
                    throw ProviderChangedMeanwhile(id: id)
                }
                let failed = try await Self.failOpenFlows(ofProvider: id, changingTo: record, run)
                if record.id != id { _ = try await run("DELETE FROM flows WHERE provider_id = \(id)") }
                if record.id != id || refusal != nil,
                    try await !run("SELECT 1 FROM connections WHERE provider_id = \(id) LIMIT 1").isEmpty
                {
                    throw refusal ?? GatehouseError.providerHasConnections(id)
                }
                if record.id != id || refusal != nil {
                    _ = try await run("DELETE FROM revocations WHERE provider_id = \(id) AND retired_provider IS NULL")
                }
                let updated = try await !run(
                    """
                    UPDATE providers SET id = \(record.id), description = \(record.description),
                        provider_type = \(record.providerType), enabled = \(record.enabled), source = \(record.source),
                        template = \(Self.blob(record.templateJSON)), sealed_secret = \(Self.blob(record.sealedSecret)),
                        secret_hint = \(record.secretHint), created_at = \(record.createdAt.timeIntervalSince1970),
                        updated_at = \(record.updatedAt.timeIntervalSince1970)
                    WHERE id = \(id) RETURNING id
                    """
                ).isEmpty
                guard updated else { return nil }
                if record.id != id { try await Self.deleteGrants(ofProvider: record.id, run) }
                try await Self.announceProviders(run)
                return ProviderReplacement(failedFlowIDs: failed)
            }
        } catch  where Self.isUniqueViolation(error) {
            throw GatehouseError.providerExists(record.id)
        }
    }

    /// Inserts or replaces a provider; a new template fails the open flows.
    @discardableResult
    package func upsertProvider(_ record: ProviderRecord) async throws -> ProviderReplacement {
        try await inTransaction { run in
            let failed = try await Self.failOpenFlows(ofProvider: record.id, changingTo: record, run)
            _ = try await run(
                """
                INSERT INTO providers (id, description, provider_type, enabled, source, template, sealed_secret,
                    secret_hint, created_at, updated_at)
                VALUES (\(record.id), \(record.description), \(record.providerType), \(record.enabled), \(record.source),
                    \(Self.blob(record.templateJSON)), \(Self.blob(record.sealedSecret)), \(record.secretHint),
                    \(record.createdAt.timeIntervalSince1970), \(record.updatedAt.timeIntervalSince1970))
                ON CONFLICT (id) DO UPDATE SET description = excluded.description,
                    provider_type = excluded.provider_type, enabled = excluded.enabled, source = excluded.source,
                    template = excluded.template, sealed_secret = excluded.sealed_secret,
                    secret_hint = excluded.secret_hint, updated_at = excluded.updated_at
                """)
            try await Self.announceProviders(run)
            return ProviderReplacement(failedFlowIDs: failed)
        }
    }

    /// Fails provider `id`'s open flows when `record` stores another template than the stored
    /// one (`ProviderReplacement`); returns their ids. A flow past its expiry whose state was
    /// used counts as open: its callback, or its wait for verification, may still complete it.
    private static func failOpenFlows(
        ofProvider id: String, changingTo record: ProviderRecord,
        _ run: (PostgresQuery) async throws -> [PostgresRandomAccessRow]
    ) async throws -> [String] {
        try await run(
            """
            UPDATE flows SET status = 'failed', failure_reason = \(Flow.providerChangedReason), sealed_tokens = NULL,
                open_key = NULL, version = version + 1
            WHERE provider_id = \(id) AND status = 'pending'
                AND (expires_at > \(record.updatedAt.timeIntervalSince1970) OR state_used)
                AND EXISTS (
                    SELECT 1 FROM providers WHERE id = \(id) AND template IS DISTINCT FROM \(Self.blob(record.templateJSON)))
            RETURNING id
            """
        ).map { try $0["id"].decode(String.self) }
    }

    /// Removes a provider with its connections and flows; with `revokingAt`, their grants are
    /// queued for revocation through the provider as it was (`retire`). Flows go first: the
    /// statement waits for a flow completion under way (which updated the flow's row before it
    /// stores the connection), whose connection the statements after it then see; a completion
    /// after it finds no flow and stores nothing (READ COMMITTED, as `updateProvider`).
    package func deleteProvider(id: String, revokingAt deletedAt: Date?) async throws -> ProviderRecord? {
        try await inTransaction { run in
            guard let row = try await run("DELETE FROM providers WHERE id = \(id) RETURNING *").first else { return nil }
            let deleted = try Self.provider(row)
            if let order = deletedAt.flatMap({ RevocationOrder(retiring: deleted, at: $0) }) {
                _ = try await run("DELETE FROM flows WHERE provider_id = \(id)")
                try await Self.retire(deleted, order, run)
            } else {
                try await Self.deleteGrants(ofProvider: id, run)
            }
            try await Self.announceProviders(run)
            return deleted
        }
    }

    /// Tells every replica, with the write: `NOTIFY` in a transaction is delivered when, and
    /// only when, it commits. A provider write may delete connections, which the replicas'
    /// caches would otherwise serve until the write's own announcement, sent after the commit's
    /// answer, arrived (or for their cache's 30 s, when that answer was lost).
    private static func announceProviders(_ run: (PostgresQuery) async throws -> [PostgresRandomAccessRow]) async throws {
        _ = try await run("SELECT pg_notify(\(Self.channel), \(StoreChange.providers.payload))")
    }

    /// Deletes the connections, flows and pending revocations stored under a provider id (but
    /// those a deleted provider of the id sends, which go where its grants came from).
    private static func deleteGrants(
        ofProvider id: String, _ run: (PostgresQuery) async throws -> [PostgresRandomAccessRow]
    ) async throws {
        _ = try await run("DELETE FROM flows WHERE provider_id = \(id)")
        _ = try await run("DELETE FROM connections WHERE provider_id = \(id)")
        _ = try await run("DELETE FROM revocations WHERE provider_id = \(id) AND retired_provider IS NULL")
    }
}
