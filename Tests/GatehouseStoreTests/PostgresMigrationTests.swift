import Foundation
import GatehouseCore
import GatehousePostgres
import GatehouseTestSupport
import Logging
import PostgresNIO
import Testing

/// Migrations on PostgreSQL: once across replicas, and never under a newer schema.
@Suite(.enabled(if: StoreBackend.available.contains(.postgres), "needs GATEHOUSE_TEST_POSTGRES_URL (scripts/test.sh)"))
struct PostgresMigrationTests {
    /// A fresh, empty database; dropped afterwards.
    func withEmptyDatabase(_ body: (PostgresSettings) async throws -> Void) async throws {
        var settings = try StoreBackend.postgresSettings()
        let name = "gh_mig_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased()
        try await StoreBackend.withClient(settings) { _ = try await $0.query("CREATE DATABASE \(unescaped: name)") }
        settings.database = name
        do {
            try await body(settings)
        } catch {
            try? await drop(name)
            throw error
        }
        try await drop(name)
    }

    func drop(_ name: String) async throws {
        try await StoreBackend.withClient(try StoreBackend.postgresSettings()) {
            _ = try await $0.query("DROP DATABASE IF EXISTS \(unescaped: name) WITH (FORCE)")
        }
    }

    @Test func replicasStartingTogetherMigrateOnce() async throws {
        try await withEmptyDatabase { settings in
            let applied = try await withThrowingTaskGroup(of: Int.self) { group in
                for _ in 0..<4 {
                    group.addTask {
                        try await StoreBackend.withClient(settings) {
                            try await PostgresMigrations.run(on: $0, logger: Logger(label: "test"))
                        }
                    }
                }
                return try await group.reduce(0, +)
            }
            #expect(applied == PostgresMigrations.count)
        }
    }

    @Test func aNewerSchemaStopsTheStart() async throws {
        try await withEmptyDatabase { settings in
            try await StoreBackend.withClient(settings) { client in
                try await PostgresMigrations.run(on: client, logger: Logger(label: "test"))
                _ = try await client.query("INSERT INTO schema_migrations VALUES (99, 0)")
                await #expect(throws: GatehouseError.self) {
                    try await PostgresMigrations.run(on: client, logger: Logger(label: "test"))
                }
            }
        }
    }

    /// A replica that finds another migrating (which can take minutes on a large table) says
    /// so, waits, and finds the schema up to date or brings it there once the lock is free.
    @Test func aMigrationWaitsForAnotherThatHoldsTheLockAndSaysSo() async throws {
        try await withEmptyDatabase { settings in
            let logger = Logger(label: "test")
            let holder = try await PostgresConnection.connect(
                configuration: try settings.connectionConfiguration(), id: 8, logger: logger)
            _ = try await holder.query("SELECT pg_advisory_lock(\(PostgresMigrations.lockID))", logger: logger)
            let recorder = LogRecorder()
            try await StoreBackend.withClient(settings) { client in
                let run = Task { try await PostgresMigrations.run(on: client, logger: recorder.logger()) }
                let said = try await eventually(.seconds(10)) {
                    recorder.logged.contains {
                        $0.level == .warning && $0.message.contains("waiting for the schema's migrations")
                    }
                }
                #expect(said)
                try await Task.sleep(for: .milliseconds(300))
                #expect(!recorder.logged.contains { $0.message.hasPrefix("applying schema migration") }, "it waited")
                _ = try await holder.query("SELECT pg_advisory_unlock(\(PostgresMigrations.lockID))", logger: logger)
                #expect(try await run.value == PostgresMigrations.count)
            }
            try await holder.close()
        }
    }

    /// Replicas started together take turns at the lock to find nothing to apply: a wait shorter
    /// than `sayingWaitsAfter` (a second; longer here, so a slow machine does not reach it) is
    /// not said.
    @Test func aShortWaitForTheLockIsNotSaid() async throws {
        try await withEmptyDatabase { settings in
            let logger = Logger(label: "test")
            _ = try await StoreBackend.withClient(settings) { client in
                try await PostgresMigrations.run(on: client, logger: logger)
            }
            let holder = try await PostgresConnection.connect(
                configuration: try settings.connectionConfiguration(), id: 9, logger: logger)
            _ = try await holder.query("SELECT pg_advisory_lock(\(PostgresMigrations.lockID))", logger: logger)
            let recorder = LogRecorder()
            try await StoreBackend.withClient(settings) { client in
                let run = Task {
                    try await PostgresMigrations.run(on: client, logger: recorder.logger(), sayingWaitsAfter: .seconds(60))
                }
                // Released once the run waits for it (its request shows in pg_locks, not granted).
                var waits = false
                for _ in 0..<200 where !waits {
                    for try await count in try await holder.query(
                        "SELECT count(*)::int FROM pg_locks WHERE locktype = 'advisory' AND NOT granted", logger: logger
                    ).decode(Int.self) {
                        waits = count > 0
                    }
                    if !waits { try await Task.sleep(for: .milliseconds(50)) }
                }
                #expect(waits, "the run waited for the lock")
                _ = try await holder.query("SELECT pg_advisory_unlock(\(PostgresMigrations.lockID))", logger: logger)
                #expect(try await run.value == 0)
            }
            #expect(!recorder.logged.contains { $0.message.contains("waiting for the schema's migrations") })
            try await holder.close()
        }
    }
}
