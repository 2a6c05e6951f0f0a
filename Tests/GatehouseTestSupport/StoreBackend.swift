import Foundation
import GatehouseCore
import GatehousePostgres
import GatehouseSQLite
import Logging
import PostgresNIO

/// The store backends the `Store` contract runs on, each as a fresh, empty, migrated store.
package enum StoreBackend: String, CaseIterable, Sendable, CustomStringConvertible {
    case sqlite
    case postgres

    /// SQLite always; PostgreSQL when `GATEHOUSE_TEST_POSTGRES_URL` names a server, or when
    /// `GATEHOUSE_REQUIRE_POSTGRES=1` demands it (then a missing server fails the tests rather
    /// than skipping them: CI sets both).
    package static var available: [StoreBackend] {
        let environment = ProcessInfo.processInfo.environment
        let wanted = environment["GATEHOUSE_TEST_POSTGRES_URL"] != nil || environment["GATEHOUSE_REQUIRE_POSTGRES"] == "1"
        return wanted ? [.sqlite, .postgres] : [.sqlite]
    }

    package var description: String { rawValue }

    /// Runs `body` with a fresh store, then removes it.
    package func withStore(_ body: (any Store) async throws -> Void) async throws {
        switch self {
        case .sqlite: try await Self.withSQLite(body)
        case .postgres: try await Self.withPostgres(body)
        }
    }

    /// A fresh SQLite file in a temporary directory.
    package static func withSQLite(_ body: (SQLiteStore) async throws -> Void) async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("gh-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let store = try await SQLiteStore.open(
            path: directory.appendingPathComponent("test.sqlite").path, logger: Logger(label: "test"))
        do {
            try await body(store)
        } catch {
            try await store.close()
            throw error
        }
        try await store.close()
    }

    /// The test server's settings.
    package static func postgresSettings() throws -> PostgresSettings {
        guard let url = ProcessInfo.processInfo.environment["GATEHOUSE_TEST_POSTGRES_URL"] else {
            throw PostgresSettingsError(
                reason: "GATEHOUSE_TEST_POSTGRES_URL is not set: scripts/test.sh starts a PostgreSQL server and sets it")
        }
        return try PostgresSettings(url: url)
    }

    /// A fresh database on the test server, migrated, dropped afterwards.
    package static func withPostgres(_ body: (PostgresStore) async throws -> Void) async throws {
        try await withPostgres { store, _ in try await body(store) }
    }

    /// The same, with the settings that reach the fresh database. The store measures refresh
    /// leases on the caller's clock, so that a test can move time by hand, unless told otherwise.
    package static func withPostgres(
        leaseClock: LeaseClock = .caller, _ body: (PostgresStore, PostgresSettings) async throws -> Void
    ) async throws {
        var settings = try postgresSettings()
        let name = "gh_test_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased()
        try await withClient(settings) { admin in
            _ = try await admin.query("CREATE DATABASE \(unescaped: name)")
        }
        settings.database = name
        do {
            try await withClient(settings) { client in
                try await PostgresMigrations.run(on: client, logger: Logger(label: "test"))
                try await body(PostgresStore(client: client, logger: Logger(label: "test"), leaseClock: leaseClock), settings)
            }
        } catch {
            try? await dropDatabase(name)
            throw error
        }
        try await dropDatabase(name)
    }

    /// Runs `body` with a client that runs for as long as `body` does.
    package static func withClient<T: Sendable>(_ settings: PostgresSettings, _ body: (PostgresClient) async throws -> T)
        async throws -> T
    {
        let client = PostgresClient(configuration: try settings.clientConfiguration())
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await client.run() }
            defer { group.cancelAll() }
            return try await body(client)
        }
    }

    private static func dropDatabase(_ name: String) async throws {
        try await withClient(try postgresSettings()) { admin in
            _ = try await admin.query("DROP DATABASE IF EXISTS \(unescaped: name) WITH (FORCE)")
        }
    }
}
