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

    /// Adds a provider; `conflict` when the id is taken.
    package func insertProvider(_ record: ProviderRecord) async throws {
        let inserted = try await rows(
            """
            INSERT INTO providers (id, description, provider_type, enabled, source, template, sealed_secret,
                secret_hint, created_at, updated_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(id) DO NOTHING RETURNING id
            """, Self.binds(record))
        guard !inserted.isEmpty else {
            throw GatehouseError(.conflict, "auth provider '\(record.id)' already exists")
        }
    }

    /// Replaces a provider, possibly renaming it.
    package func updateProvider(id: String, with record: ProviderRecord) async throws -> Bool {
        do {
            return try await !rows(
                """
                UPDATE providers SET id = ?, description = ?, provider_type = ?, enabled = ?, source = ?,
                    template = ?, sealed_secret = ?, secret_hint = ?, created_at = ?, updated_at = ?
                WHERE id = ? RETURNING id
                """, Self.binds(record) + [.text(id)]
            ).isEmpty
        } catch let error as SQLiteError
            where [.constraint, .constraintPrimaryKeyFailed, .constraintUniqueFailed].contains(error.reason)
        {
            throw GatehouseError(.conflict, "auth provider '\(record.id)' already exists")
        }
    }

    /// Inserts or replaces a provider.
    package func upsertProvider(_ record: ProviderRecord) async throws {
        _ = try await rows(
            """
            INSERT INTO providers (id, description, provider_type, enabled, source, template, sealed_secret,
                secret_hint, created_at, updated_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT(id) DO UPDATE SET description = excluded.description,
                provider_type = excluded.provider_type, enabled = excluded.enabled, source = excluded.source,
                template = excluded.template, sealed_secret = excluded.sealed_secret,
                secret_hint = excluded.secret_hint, updated_at = excluded.updated_at
            """, Self.binds(record))
    }

    /// Removes a provider.
    package func deleteProvider(id: String) async throws -> ProviderRecord? {
        try await rows("DELETE FROM providers WHERE id = ? RETURNING *", [.text(id)]).first.map(Self.provider)
    }
}
