import Foundation
import GatehouseCore
import GatehousePostgres
import GatehouseTestSupport
import Logging
import PostgresNIO
import Testing

/// Rolling upgrades: an older build on a newer schema, and a migration that meets a locked table.
extension PostgresMigrationTests {
    func version(_ client: PostgresClient) async throws -> Int {
        var version = 0
        for try await highest in try await client.query("SELECT MAX(version) FROM schema_migrations").decode(Int.self) {
            version = highest
        }
        return version
    }

    @Test func aBuildThatKnowsFewerMigrationsRunsOnASchemaWhoseLaterOnesOnlyAdded() async throws {
        try await withEmptyDatabase { settings in
            try await StoreBackend.withClient(settings) { client in
                let logger = Logger(label: "test")
                let known = PostgresMigrations.count
                try await PostgresMigrations.run(on: client, logger: logger)
                // The build that knew the first migration only: every one since only added.
                #expect(try await PostgresMigrations.run(on: client, logger: logger, through: 1) == 0)
                // A later migration that only added runs; one that needs a newer build stops the start.
                _ = try await client.query("INSERT INTO schema_migrations VALUES (\(known + 1), 0, \(known))")
                #expect(try await PostgresMigrations.run(on: client, logger: logger) == 0)
                _ = try await client.query("INSERT INTO schema_migrations VALUES (\(known + 2), 0, \(known + 2))")
                do {
                    try await PostgresMigrations.run(on: client, logger: logger)
                    Issue.record("a schema that needs a newer build was accepted")
                } catch let error as GatehouseError {
                    #expect(error.message.contains("needs a Gatehouse that knows \(known + 2) or more"))
                }
                #expect(try await version(client) == known + 2)
            }
        }
    }

    /// Holds a lock on `flows` that a migration's `ALTER TABLE` must wait for, in an open
    /// transaction on a connection of its own, until `release` returns.
    func holdingFlows(_ settings: PostgresSettings, release: @escaping @Sendable () async throws -> Void) async throws {
        let connection = try await PostgresConnection.connect(
            configuration: try settings.connectionConfiguration(), id: 7, logger: Logger(label: "test"))
        _ = try await connection.query("BEGIN", logger: Logger(label: "test"))
        _ = try await connection.query("LOCK TABLE flows IN ACCESS SHARE MODE", logger: Logger(label: "test"))
        Task {
            try? await release()
            _ = try? await connection.query("ROLLBACK", logger: Logger(label: "test"))
            try? await connection.close()
        }
    }

    @Test func aMigrationGivesUpATableLockAnotherTransactionHoldsAndAppliesOnceItEnds() async throws {
        try await withEmptyDatabase { settings in
            try await StoreBackend.withClient(settings) { client in
                let logger = Logger(label: "test")
                try await PostgresMigrations.run(on: client, logger: logger, through: 1)
                let short = PostgresMigrations.LockWait(perTry: .milliseconds(200), pause: .milliseconds(100), total: .seconds(1))
                // Held throughout: the start stops with a reason, and nothing of the migration stays.
                let ended = AsyncStream<Void>.makeStream()
                try await holdingFlows(settings) { for await _ in ended.stream {} }
                async let gaveUp: Void = {
                    do {
                        try await PostgresMigrations.run(on: client, logger: logger, lockWait: short)
                        Issue.record("the migration went through a held lock")
                    } catch let error as GatehouseError {
                        #expect(error.message.contains("migration 2 could not lock its table"))
                    }
                }()
                // Meanwhile the table stays readable: a read queued behind the waiting ALTER goes
                // on when the try's limit ends it, well before the migration gives up.
                try await Task.sleep(for: .milliseconds(150))
                let read = try await withThrowingTaskGroup(of: Bool.self) { group in
                    group.addTask {
                        _ = try await client.query("SELECT count(*) FROM flows")
                        return true
                    }
                    group.addTask {
                        try await Task.sleep(for: .seconds(5))
                        // The lock goes, so that a failure is reported rather than hung.
                        ended.continuation.finish()
                        return false
                    }
                    defer { group.cancelAll() }
                    return try await group.next() ?? false
                }
                #expect(read, "a read of flows waited behind the migration for 5 s")
                try await gaveUp
                ended.continuation.finish()
                #expect(try await version(client) == 1)
                // Held for a while: the migration tries again and applies once the lock is gone.
                try await holdingFlows(settings) { try await Task.sleep(for: .milliseconds(700)) }
                let patient = PostgresMigrations.LockWait(
                    perTry: .milliseconds(200), pause: .milliseconds(100), total: .seconds(10))
                #expect(
                    try await PostgresMigrations.run(on: client, logger: logger, lockWait: patient) == PostgresMigrations.count
                        - 1)
                #expect(try await version(client) == PostgresMigrations.count)
            }
        }
    }

    @Test func aRoleThatDoesNotOwnTheTablesStartsOnAnUpToDateSchema() async throws {
        try await withEmptyDatabase { settings in
            let role = "gh_app_" + UUID().uuidString.prefix(8).lowercased()
            try await StoreBackend.withClient(settings) { owner in
                try await PostgresMigrations.run(on: owner, logger: Logger(label: "test"))
                _ = try await owner.query("CREATE ROLE \(unescaped: role) LOGIN")
                _ = try await owner.query(
                    "GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO \(unescaped: role)")
            }
            var app = settings
            app.username = role
            do {
                // The runtime role may read and write, not alter: a start changes no table.
                let applied = try await StoreBackend.withClient(app) {
                    try await PostgresMigrations.run(on: $0, logger: Logger(label: "test"))
                }
                #expect(applied == 0)
            } catch {
                Issue.record("a start as a role that does not own the tables failed: \(String(reflecting: error))")
            }
            try await StoreBackend.withClient(settings) { owner in
                _ = try await owner.query("DROP OWNED BY \(unescaped: role)")
                _ = try await owner.query("DROP ROLE \(unescaped: role)")
            }
        }
    }
}
