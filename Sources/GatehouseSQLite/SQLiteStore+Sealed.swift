import GatehouseCore
import SQLiteNIO

extension SQLiteStore {
    /// Table, key column and blob column of each kind of encrypted value.
    static func location(_ kind: SealedField.Kind) -> (table: String, key: String, column: String) {
        switch kind {
        case .providerSecret: ("providers", "id", "sealed_secret")
        case .toolSecret: ("secrets", "id", "sealed_value")
        case .connectionTokens: ("connections", "id", "sealed_tokens")
        case .flowVerifier: ("flows", "id", "sealed_verifier")
        case .flowURL: ("flows", "id", "sealed_url")
        case .flowTokens: ("flows", "id", "sealed_tokens")
        }
    }

    /// Every encrypted value of a kind.
    package func sealedFields(_ kind: SealedField.Kind) async throws -> [SealedField] {
        let (table, key, column) = Self.location(kind)
        let extra =
            switch kind {
            case .toolSecret: ", key AS name"
            case .connectionTokens: ", provider_id, user_id"
            default: ""
            }
        return try await rows("SELECT \(key) AS row_id, \(column) AS blob\(extra) FROM \(table) WHERE \(column) IS NOT NULL")
            .compactMap { row in
                guard let id = row.column("row_id")?.string, let blob = Self.bytes(row, "blob") else { return nil }
                let context = SealedField.context(
                    kind, rowID: id, name: row.column("name")?.string, providerID: row.column("provider_id")?.string ?? "",
                    userID: row.column("user_id")?.string ?? "")
                return SealedField(kind: kind, rowID: id, context: context, blob: blob)
            }
    }

    /// Compare-and-swap of one encrypted value.
    package func replaceSealedField(_ field: SealedField, with blob: [UInt8]) async throws -> Bool {
        let (table, key, column) = Self.location(field.kind)
        return try await !rows(
            "UPDATE \(table) SET \(column) = ? WHERE \(key) = ? AND \(column) = ? RETURNING \(key)",
            [Self.blob(blob), .text(field.rowID), Self.blob(field.blob)]
        ).isEmpty
    }
}
