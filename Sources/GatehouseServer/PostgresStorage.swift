import Foundation
import GatehouseCore
import GatehousePostgres
import GatehouseWire
import Logging
import PostgresNIO
import ServiceLifecycle

/// PostgreSQL: the serving pool runs as a service; start-up work runs on a short-lived pool
/// of its own, after the migrations.
struct PostgresStorage: Storage {
    let settings: PostgresSettings
    let client: PostgresClient
    let logger: Logger
    /// How long the migrations may take (and the setting that says so, if one does); nil: as
    /// long as they take.
    let migrationLimit: MigrationLimit?
    func store(telemetry: Telemetry) -> any Store {
        PostgresStore(client: client, logger: logger, telemetry: telemetry, poolSize: settings.poolSize)
    }
    var services: [any Service] { [client] }

    func bootstrap<T: Sendable>(_ body: (any Store) async throws -> T) async throws -> T {
        let bootstrap = PostgresClient(
            configuration: try settings.clientConfiguration(), backgroundLogger: logger.boundingRepeats())
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await bootstrap.run() }
            defer { group.cancelAll() }
            do {
                // An unreachable server must stop the start with a message, not hang it; and a
                // wrong role, database or TLS setting must say so, at once.
                try await PostgresProbe.check(settings, logger: logger, within: .seconds(15))
                try await migrate(on: bootstrap)
            } catch let error as GatehouseError {
                throw ConfigurationError(description: "storage.postgres (\(settings.redacted)): \(error.message)")
            } catch {
                throw ConfigurationError(
                    description: "storage.postgres: cannot use \(settings.redacted): \(String(reflecting: error).prefix(300))")
            }
            // One replica at a time: two replicas starting on an empty database must not both
            // make a first admin key.
            let store = PostgresStore(client: bootstrap, logger: logger, poolSize: settings.poolSize)
            return try await store.runSerially("bootstrap") { try await body(store) }
        }
    }

    /// Brings the schema up to date, within `migrationLimit` when there is one. A migration
    /// that builds an index on a large table can take minutes: cut at a limit it is rolled back
    /// and would be cut again at every start, so the limit says how to let it finish.
    private func migrate(on client: PostgresClient) async throws {
        guard let limit = migrationLimit else {
            try await PostgresMigrations.run(on: client, logger: logger)
            return
        }
        do {
            _ = try await Deadline.run(within: limit.duration) { try await PostgresMigrations.run(on: client, logger: logger) }
        } catch is Deadline.Passed {
            // Said as what it is, not as a database that "cannot be used".
            throw GatehouseError(
                .storeUnavailable,
                "the schema's migrations did not finish within \(limit.duration.components.seconds) s"
                    + (limit.setting.map { " (\($0))" } ?? "") + "; one may be building an index on a large table, "
                    + "here or on another replica: run `gatehouse migrate`, which waits for as long as they take, then "
                    + "start the replicas")
        }
    }

    func abandon() async {}

    func listener(hub: ChangeHub) -> (any Service)? {
        PostgresListener(settings: settings, hub: hub, logger: logger)
    }
}

/// How long a start or a command lets the schema's migrations run, and the setting that says so.
struct MigrationLimit: Sendable {
    let duration: Duration
    let setting: String?

    /// What the operator commands other than `migrate` wait: they do not wait for migrations.
    static let command = MigrationLimit(duration: .seconds(15), setting: nil)
}
