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
                throw GatehouseError(.conflict, "auth provider '\(record.id)' already exists")
            }
            try await Self.deleteGrants(ofProvider: record.id, run)
        }
    }

    /// Replaces a provider, possibly renaming it. A rename, or any change with `refusal`, is refused
    /// while connections are stored under the old id (checked in the transaction); a rename
    /// deletes the old id's flows and whatever an earlier provider left under the new one. The
    /// check takes no lock: a connection committed under the old id after it is not deleted (it
    /// stays under that id, which no provider has any more), and with `refusal` such a late one
    /// is kept under the changed provider.
    package func updateProvider(id: String, with record: ProviderRecord, unlessConnected refusal: GatehouseError?)
        async throws -> Bool
    {
        do {
            return try await inTransaction { run in
                if record.id != id || refusal != nil,
                    try await !run("SELECT 1 FROM connections WHERE provider_id = \(id) LIMIT 1").isEmpty
                {
                    throw refusal ?? GatehouseError.providerHasConnections(id)
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
                if updated, record.id != id {
                    _ = try await run("DELETE FROM flows WHERE provider_id = \(id)")
                    try await Self.deleteGrants(ofProvider: record.id, run)
                }
                return updated
            }
        } catch  where Self.isUniqueViolation(error) {
            throw GatehouseError(.conflict, "auth provider '\(record.id)' already exists")
        }
    }

    /// Inserts or replaces a provider.
    package func upsertProvider(_ record: ProviderRecord) async throws {
        _ = try await rows(
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
    }

    /// Removes a provider with its connections and flows.
    package func deleteProvider(id: String) async throws -> ProviderRecord? {
        try await inTransaction { run in
            guard let row = try await run("DELETE FROM providers WHERE id = \(id) RETURNING *").first else { return nil }
            try await Self.deleteGrants(ofProvider: id, run)
            return try Self.provider(row)
        }
    }

    /// Deletes the connections and flows stored under a provider id.
    private static func deleteGrants(
        ofProvider id: String, _ run: (PostgresQuery) async throws -> [PostgresRandomAccessRow]
    ) async throws {
        _ = try await run("DELETE FROM connections WHERE provider_id = \(id)")
        _ = try await run("DELETE FROM flows WHERE provider_id = \(id)")
    }
}
