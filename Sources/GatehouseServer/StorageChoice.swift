import Foundation
import GatehouseCore
import GatehousePostgres
import GatehouseSQLite
import Logging
import PostgresNIO

/// The configured backend.
enum StorageChoice: Sendable, Equatable {
    /// A SQLite file: the zero-setup default.
    case sqlite(path: String)
    /// A PostgreSQL server shared by any number of replicas.
    case postgres(PostgresSettings)

    /// Where it is, for a message: the file, or the URL without its password.
    var redacted: String {
        switch self {
        case .sqlite(let path): path
        case .postgres(let settings): settings.redacted
        }
    }

    /// How many migrations this build knows for this kind of store.
    var migrationCount: Int {
        switch self {
        case .sqlite: SQLiteStore.migrationCount
        case .postgres: PostgresMigrations.count
        }
    }

    /// The schema's version there (the highest migration applied), or nil when nothing there
    /// holds Gatehouse's schema; read without changing anything.
    func schemaVersion(logger: Logger) async throws -> Int? {
        switch self {
        case .sqlite(let path): try await SQLiteStore.schemaVersion(path: path, logger: logger)
        case .postgres(let settings): try await PostgresMigrations.schemaVersion(settings, logger: logger.forPostgresNIO)
        }
    }

    /// Opens it: SQLite migrates at once; PostgreSQL migrates in `bootstrap`, under the lock,
    /// within `migrationLimit` (nil: for as long as the migrations take, as `gatehouse migrate`
    /// waits).
    func open(logger: Logger, migrationLimit: MigrationLimit?) async throws -> any Storage {
        switch self {
        case .sqlite(let path):
            try DataFilePermissions.secureDatabase(path)
            let store: SQLiteStore
            do {
                store = try await SQLiteStore.open(path: path, logger: logger)
            } catch let error as GatehouseError {
                // A schema that needs a newer build: said as PostgreSQL's is, as a setting to fix.
                throw ConfigurationError(description: "storage.sqlite (\(path)): \(error.message)")
            }
            do {
                try DataFilePermissions.secureSidecars(of: path)
            } catch {
                try? await store.close()
                throw error
            }
            return SQLiteStorage(sqlite: store)
        case .postgres(let settings):
            let logger = logger.forPostgresNIO
            return PostgresStorage(
                settings: settings,
                client: PostgresClient(
                    configuration: try settings.clientConfiguration(), backgroundLogger: logger.boundingRepeats()),
                logger: logger, migrationLimit: migrationLimit)
        }
    }
}
