import GatehouseCore
import PostgresNIO

extension PSQLError: LoggableStoreError {
    /// Its code, and what the server named (SQLSTATE, schema, table, column, constraint); not the
    /// server's message, which may quote a value (`invalid input syntax for type ...: "..."`).
    package var loggable: String {
        var said = "PSQLError \(code)"
        guard let info = serverInfo else { return said }
        let fields: [(String, PSQLError.ServerInfo.Field)] = [
            ("sqlstate", .sqlState), ("schema", .schemaName), ("table", .tableName), ("column", .columnName),
            ("constraint", .constraintName),
        ]
        for (name, field) in fields {
            if let value = info[field] { said += " \(name) \(value)" }
        }
        return said
    }
}
