import Foundation
import GatehouseCore
import GatehousePostgres
import GatehouseSQLite
import GatehouseWire
import Logging
import PostgresNIO
import ServiceLifecycle

/// Where Gatehouse keeps its state: the one seam between the composition root and a backend.
/// Configuration picks the backend; the backend gives the store that serves, the services that
/// must run beside it, and a scope for the start-up work done before those services run.
protocol Storage: Sendable {
    /// The store that serves requests (ready once `services` run).
    var store: any Store { get }
    /// What must run in the application's service group for `store` to work.
    var services: [any Service] { get }
    /// Runs start-up work (the first API key, config-file providers) on a ready, migrated store.
    func bootstrap<T: Sendable>(_ body: (any Store) async throws -> T) async throws -> T
    /// Releases what opening took, when the start fails before the services run.
    func abandon() async
    /// The service that feeds other replicas' changes into `hub`, if the store is shared.
    func listener(hub: ChangeHub) -> (any Service)?
}

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
        case .postgres(let settings): try await PostgresMigrations.schemaVersion(settings, logger: logger)
        }
    }

    /// Opens it: SQLite migrates at once; PostgreSQL migrates in `bootstrap`, under the lock.
    func open(logger: Logger) async throws -> any Storage {
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
            return PostgresStorage(
                settings: settings,
                client: PostgresClient(configuration: try settings.clientConfiguration(), backgroundLogger: logger),
                logger: logger)
        }
    }
}

/// The embedded store: one connection, opened now, closed after the server stops.
struct SQLiteStorage: Storage {
    let sqlite: SQLiteStore
    var store: any Store { sqlite }
    var services: [any Service] { [StoreService(store: sqlite)] }

    func bootstrap<T: Sendable>(_ body: (any Store) async throws -> T) async throws -> T {
        try await body(sqlite)
    }

    func abandon() async {
        try? await sqlite.close()
    }

    func listener(hub: ChangeHub) -> (any Service)? { nil }
}

/// PostgreSQL: the serving pool runs as a service; start-up work runs on a short-lived pool
/// of its own, after the migrations.
struct PostgresStorage: Storage {
    let settings: PostgresSettings
    let client: PostgresClient
    let logger: Logger
    var store: any Store { PostgresStore(client: client, logger: logger) }
    var services: [any Service] { [client] }

    func bootstrap<T: Sendable>(_ body: (any Store) async throws -> T) async throws -> T {
        let bootstrap = PostgresClient(configuration: try settings.clientConfiguration(), backgroundLogger: logger)
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await bootstrap.run() }
            defer { group.cancelAll() }
            do {
                // An unreachable server must stop the start with a message, not hang it; and a
                // wrong role, database or TLS setting must say so, at once.
                try await PostgresProbe.check(settings, logger: logger, within: .seconds(15))
                try await Self.within(.seconds(15), "no answer within 15 s") {
                    try await PostgresMigrations.run(on: bootstrap, logger: logger)
                }
            } catch let error as GatehouseError {
                throw ConfigurationError(description: "storage.postgres (\(settings.redacted)): \(error.message)")
            } catch {
                throw ConfigurationError(
                    description: "storage.postgres: cannot use \(settings.redacted): \(String(reflecting: error).prefix(300))")
            }
            // One replica at a time: two replicas starting on an empty database must not both
            // make a first admin key.
            let store = PostgresStore(client: bootstrap, logger: logger)
            return try await store.runSerially("bootstrap") { try await body(store) }
        }
    }

    func abandon() async {}

    func listener(hub: ChangeHub) -> (any Service)? {
        PostgresListener(settings: settings, hub: hub, logger: logger)
    }

    /// Runs `body`, or fails with `reason` when it takes longer than `limit`.
    static func within(_ limit: Duration, _ reason: String, _ body: @escaping @Sendable () async throws -> Void) async throws {
        do {
            try await Deadline.run(within: limit, body)
        } catch is Deadline.Passed {
            throw PostgresSettingsError(reason: reason)
        }
    }
}

/// Closes the SQLite store after the server has stopped.
struct StoreService: Service {
    let store: SQLiteStore

    func run() async throws {
        try? await gracefulShutdown()
        // Closed whether the server stopped or failed (a port in use cancels the group): in a
        // task of its own, which the cancellation does not reach.
        let store = store
        try await Task { try await store.close() }.value
    }
}
