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

    /// Adds a provider; `conflict` when the id is taken.
    package func insertProvider(_ record: ProviderRecord) async throws {
        let inserted = try await rows(
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
    }

    /// Replaces a provider, possibly renaming it.
    package func updateProvider(id: String, with record: ProviderRecord) async throws -> Bool {
        do {
            return try await !rows(
                """
                UPDATE providers SET id = \(record.id), description = \(record.description),
                    provider_type = \(record.providerType), enabled = \(record.enabled), source = \(record.source),
                    template = \(Self.blob(record.templateJSON)), sealed_secret = \(Self.blob(record.sealedSecret)),
                    secret_hint = \(record.secretHint), created_at = \(record.createdAt.timeIntervalSince1970),
                    updated_at = \(record.updatedAt.timeIntervalSince1970)
                WHERE id = \(id) RETURNING id
                """
            ).isEmpty
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

    /// Removes a provider.
    package func deleteProvider(id: String) async throws -> ProviderRecord? {
        try await rows("DELETE FROM providers WHERE id = \(id) RETURNING *").first.map(Self.provider)
    }
}
