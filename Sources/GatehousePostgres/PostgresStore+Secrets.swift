import Foundation
import GatehouseCore
import PostgresNIO

// Tool secrets, sealed, upserted by key; the sealed columns for root key rotation.
extension PostgresStore {
    /// Every tool secret.
    package func secrets() async throws -> [SecretRecord] {
        try await rows(#"SELECT * FROM secrets ORDER BY key COLLATE "C""#).map(Self.secret)
    }

    /// Inserts or replaces a secret by key.
    package func upsertSecret(_ record: SecretRecord) async throws -> SecretRecord {
        let stored = try await rows(
            """
            INSERT INTO secrets (id, key, sealed_value, description, hint, created_at, updated_at)
            VALUES (\(record.id), \(record.key), \(Self.blob(record.sealedValue)), \(record.description), \(record.hint),
                \(record.createdAt.timeIntervalSince1970), \(record.updatedAt.timeIntervalSince1970))
            ON CONFLICT (key) DO UPDATE SET sealed_value = excluded.sealed_value,
                description = COALESCE(excluded.description, secrets.description), hint = excluded.hint,
                updated_at = excluded.updated_at
            RETURNING *
            """)
        guard let row = stored.first else { throw GatehouseError(.internalError, "could not store the secret") }
        return try Self.secret(row)
    }

    /// Removes a secret.
    package func deleteSecret(id: String) async throws -> Bool {
        try await !rows("DELETE FROM secrets WHERE id = \(id) RETURNING id").isEmpty
    }

    /// Every encrypted value of a kind.
    package func sealedFields(_ kind: SealedField.Kind) async throws -> [SealedField] {
        let (table, key, column) = SealedField.location(kind)
        let extra = SealedField.contextColumns(kind)
        return try await rows(
            "SELECT \(unescaped: key) AS row_id, \(unescaped: column) AS blob\(unescaped: extra) FROM \(unescaped: table) WHERE \(unescaped: column) IS NOT NULL"
        ).map { row in
            let id = try row["row_id"].decode(String.self)
            // The columns `SealedField.contextColumns` named for the kind.
            let byUser = kind == .connectionTokens || kind == .revocationTokens
            let byProvider = byUser || kind == .retiredProviderSecret
            let context = SealedField.context(
                kind, rowID: id, name: kind == .toolSecret ? try row["name"].decode(String.self) : nil,
                providerID: byProvider ? try row["provider_id"].decode(String.self) : "",
                userID: byUser ? try row["user_id"].decode(String.self) : "")
            return SealedField(kind: kind, rowID: id, context: context, blob: try Self.bytes(row, "blob") ?? [])
        }
    }

    /// Compare-and-swap of one encrypted value.
    package func replaceSealedField(_ field: SealedField, with blob: [UInt8]) async throws -> Bool {
        let (table, key, column) = SealedField.location(field.kind)
        return try await !rows(
            """
            UPDATE \(unescaped: table) SET \(unescaped: column) = \(Self.blob(blob))
            WHERE \(unescaped: key) = \(field.rowID) AND \(unescaped: column) = \(Self.blob(field.blob)) RETURNING \(unescaped: key)
            """
        ).isEmpty
    }
}
