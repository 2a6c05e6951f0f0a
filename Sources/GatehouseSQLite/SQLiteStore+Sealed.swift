import GatehouseCore
import SQLiteNIO

extension SQLiteStore {
    /// Every encrypted value of a kind.
    package func sealedFields(_ kind: SealedField.Kind) async throws -> [SealedField] {
        let (table, key, column) = SealedField.location(kind)
        let extra = SealedField.contextColumns(kind)
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
        let (table, key, column) = SealedField.location(field.kind)
        return try await !rows(
            "UPDATE \(table) SET \(column) = ? WHERE \(key) = ? AND \(column) = ? RETURNING \(key)",
            [Self.blob(blob), .text(field.rowID), Self.blob(field.blob)]
        ).isEmpty
    }
}
