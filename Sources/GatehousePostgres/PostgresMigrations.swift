import Foundation
import GatehouseCore
import Logging
import PostgresNIO

/// The PostgreSQL schema: an ordered list of migrations, applied once each, one replica at a
/// time (`pg_advisory_lock`), each in its own transaction.
package enum PostgresMigrations {
    /// The advisory lock every replica takes to migrate ("gatehouse" in ASCII).
    static let lockID: Int64 = 0x6761_7465_686F_7573

    static let all: [[String]] = [
        [
            """
            CREATE TABLE providers (
                id TEXT PRIMARY KEY, description TEXT, provider_type TEXT NOT NULL, enabled BOOLEAN NOT NULL,
                source TEXT NOT NULL, template BYTEA NOT NULL, sealed_secret BYTEA, secret_hint TEXT,
                created_at DOUBLE PRECISION NOT NULL, updated_at DOUBLE PRECISION NOT NULL)
            """,
            """
            CREATE TABLE flows (
                id TEXT PRIMARY KEY, user_id TEXT NOT NULL, provider_id TEXT NOT NULL,
                requested_scopes TEXT NOT NULL, authorize_scopes TEXT NOT NULL, state_hash TEXT NOT NULL UNIQUE,
                sealed_verifier BYTEA, sealed_url BYTEA, next_uri TEXT, status TEXT NOT NULL,
                state_used BOOLEAN NOT NULL DEFAULT false, verification_id TEXT UNIQUE, sealed_tokens BYTEA,
                user_info TEXT, failure_reason TEXT, open_key TEXT UNIQUE,
                created_at DOUBLE PRECISION NOT NULL, expires_at DOUBLE PRECISION NOT NULL, version BIGINT NOT NULL)
            """,
            "CREATE INDEX flows_created_at ON flows (created_at)",
            """
            CREATE TABLE connections (
                id TEXT PRIMARY KEY, user_id TEXT NOT NULL, provider_id TEXT NOT NULL, scopes TEXT NOT NULL,
                sealed_tokens BYTEA NOT NULL, expires_at DOUBLE PRECISION NOT NULL, user_info TEXT, status TEXT NOT NULL,
                auth_id TEXT NOT NULL, created_at DOUBLE PRECISION NOT NULL, updated_at DOUBLE PRECISION NOT NULL,
                version BIGINT NOT NULL, lease_owner TEXT, lease_until DOUBLE PRECISION,
                UNIQUE (user_id, provider_id))
            """,
            "CREATE INDEX connections_provider ON connections (provider_id, user_id)",
            """
            CREATE TABLE api_keys (
                hash TEXT PRIMARY KEY, name TEXT NOT NULL, role TEXT NOT NULL, created_at DOUBLE PRECISION NOT NULL)
            """,
            "CREATE TABLE settings (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
            """
            CREATE TABLE secrets (
                id TEXT PRIMARY KEY, key TEXT NOT NULL UNIQUE, sealed_value BYTEA NOT NULL, description TEXT,
                hint TEXT, created_at DOUBLE PRECISION NOT NULL, updated_at DOUBLE PRECISION NOT NULL)
            """,
        ],
        // When a callback used its flow's state (`AuthBroker.statusNow` fails a flow whose
        // callback never finished). Additive, as the next: replicas of the version before that
        // are running keep working on it (one restarted refuses the newer schema; operations.md).
        ["ALTER TABLE flows ADD COLUMN state_used_at DOUBLE PRECISION"],
        // Dashboard sessions signed out before their cookies lapse (`DashboardSessions`).
        ["CREATE TABLE dashboard_sign_outs (session TEXT PRIMARY KEY, until DOUBLE PRECISION NOT NULL)"],
    ]

    /// How many migrations this build knows.
    package static var count: Int { all.count }

    /// Whether the database holds Gatehouse's schema (its `schema_migrations` table), read on a
    /// connection of its own and changing nothing: what `store copy` asks of a source before
    /// opening it, which would migrate it.
    package static func hasSchema(_ settings: PostgresSettings, logger: Logger) async throws -> Bool {
        let connection = try await PostgresConnection.connect(
            configuration: try settings.connectionConfiguration(), id: 0, logger: logger)
        var found = false
        do {
            for try await exists in try await connection.query(
                "SELECT to_regclass('schema_migrations') IS NOT NULL", logger: logger
            ).decode(Bool.self) {
                found = exists
            }
        } catch {
            try? await connection.close()
            throw error
        }
        try await connection.close()
        return found
    }

    /// Brings the schema up to date under the advisory lock; refuses a schema newer than this
    /// build knows. Returns how many migrations it applied.
    @discardableResult
    package static func run(on client: PostgresClient, logger: Logger) async throws -> Int {
        try await client.withConnection { connection in
            _ = try await connection.query("SELECT pg_advisory_lock(\(lockID))", logger: logger)
            do {
                let applied = try await migrate(connection, logger: logger)
                _ = try await connection.query("SELECT pg_advisory_unlock(\(lockID))", logger: logger)
                return applied
            } catch {
                _ = try? await connection.query("SELECT pg_advisory_unlock(\(lockID))", logger: logger)
                throw error
            }
        }
    }

    private static func migrate(_ connection: PostgresConnection, logger: Logger) async throws -> Int {
        _ = try await connection.query(
            "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at DOUBLE PRECISION NOT NULL)",
            logger: logger)
        var current = 0
        for try await version in try await connection.query(
            "SELECT COALESCE(MAX(version), 0) FROM schema_migrations", logger: logger
        ).decode(Int.self) {
            current = version
        }
        guard current <= all.count else {
            throw GatehouseError(
                .internalError,
                "the database schema is version \(current), newer than this Gatehouse knows (\(all.count)): run a newer Gatehouse"
            )
        }
        var applied = 0
        for (index, statements) in all.enumerated() where index + 1 > current {
            try await connection.withTransaction(logger: logger) { transaction in
                for statement in statements {
                    _ = try await transaction.query(PostgresQuery(unsafeSQL: statement), logger: logger)
                }
                _ = try await transaction.query(
                    "INSERT INTO schema_migrations (version, applied_at) VALUES (\(index + 1), \(Date().timeIntervalSince1970))",
                    logger: logger)
            }
            applied += 1
        }
        return applied
    }
}
