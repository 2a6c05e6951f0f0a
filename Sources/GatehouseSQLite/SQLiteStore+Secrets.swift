import Foundation
import GatehouseCore
import SQLiteNIO

// Tool secrets, sealed, upserted by key.
extension SQLiteStore {
    /// Every tool secret.
    package func secrets() async throws -> [SecretRecord] {
        try await rows("SELECT * FROM secrets ORDER BY key").map(Self.secret)
    }

    /// Inserts or replaces a secret by key.
    package func upsertSecret(_ record: SecretRecord) async throws -> SecretRecord {
        let stored = try await rows(
            """
            INSERT INTO secrets (id, key, sealed_value, description, hint, created_at, updated_at)
            VALUES (?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT(key) DO UPDATE SET sealed_value = excluded.sealed_value,
                description = COALESCE(excluded.description, secrets.description), hint = excluded.hint,
                updated_at = excluded.updated_at
            RETURNING *
            """,
            [
                .text(record.id), .text(record.key), Self.blob(record.sealedValue),
                record.description.map(SQLiteData.text) ?? .null, record.hint.map(SQLiteData.text) ?? .null,
                .float(record.createdAt.timeIntervalSince1970), .float(record.updatedAt.timeIntervalSince1970),
            ])
        guard let row = stored.first else { throw GatehouseError(.internalError, "could not store the secret") }
        return try Self.secret(row)
    }

    /// Removes a secret.
    package func deleteSecret(id: String) async throws -> Bool {
        try await !rows("DELETE FROM secrets WHERE id = ? RETURNING id", [.text(id)]).isEmpty
    }
}
