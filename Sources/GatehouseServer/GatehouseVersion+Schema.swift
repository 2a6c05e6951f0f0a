import GatehouseCore
import GatehousePostgres
import GatehouseSQLite

extension GatehouseVersion {
    /// The release and the schema versions it writes, as `gatehouse --version` says them: the
    /// schema's number is what a refusal to run on a newer schema names ("needs a Gatehouse that
    /// knows M or more").
    package static var described: String {
        "gatehouse \(release) (schema: SQLite \(SQLiteStore.migrationCount), PostgreSQL \(PostgresMigrations.count))"
    }
}
