import Foundation
import GatehouseCore
import Logging
import PostgresNIO

/// The PostgreSQL schema: an ordered list of migrations, applied once each, one replica at a
/// time (`pg_advisory_lock`), each in its own transaction.
package enum PostgresMigrations {
    /// The advisory lock every replica takes to migrate ("gatehouse" in ASCII).
    package static let lockID: Int64 = 0x6761_7465_686F_7573

    /// One migration: its statements, and whether it only adds, so that a build that predates it
    /// keeps working on the schema it leaves (`SchemaCompatibility`).
    struct Migration: Sendable {
        let statements: [String]
        let additive: Bool
    }

    static let all: [Migration] = [
        Migration(
            statements: [
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
            ], additive: false),
        // When a callback used its flow's state (`AuthBroker.statusNow` fails a flow whose
        // callback never finished). Additive, as the next: replicas of the version before keep
        // working on it (operations.md, "Migrations").
        Migration(statements: ["ALTER TABLE flows ADD COLUMN state_used_at DOUBLE PRECISION"], additive: true),
        // Dashboard sessions signed out before their cookies lapse (`DashboardSessions`). Additive,
        // though an older build does not honour it: a session signed out on a newer replica
        // still signs in on an older one until the rollout ends (operations.md says so).
        Migration(
            statements: ["CREATE TABLE dashboard_sign_outs (session TEXT PRIMARY KEY, until DOUBLE PRECISION NOT NULL)"],
            additive: true),
        // Deleted connections' grants still to be revoked at their providers (`PendingRevocation`).
        // Additive: an older build neither writes nor reads it, so a delete on an older replica
        // during a rollout revokes once, as that build always did.
        Migration(
            statements: [
                """
                CREATE TABLE revocations (
                    id TEXT PRIMARY KEY, user_id TEXT NOT NULL, provider_id TEXT NOT NULL, sealed_tokens BYTEA NOT NULL,
                    user_info TEXT, created_at DOUBLE PRECISION NOT NULL, attempts BIGINT NOT NULL,
                    next_attempt_at DOUBLE PRECISION NOT NULL, last_error TEXT, destination TEXT NOT NULL)
                """,
                "CREATE INDEX revocations_due ON revocations (next_attempt_at)",
            ], additive: true),
        // Deleted providers kept for their grants' revocations (`RetiredProvider`), which name them.
        // Additive, but an older build does not know them: its revocation job drops such a
        // revocation (no provider of the id) or sends it with the credentials of a provider made
        // again under the id at the same origin, and its provider writes under the id delete
        // them (operations.md: delete providers once a rollout has ended).
        Migration(
            statements: [
                """
                CREATE TABLE retired_providers (
                    key TEXT PRIMARY KEY, retired_at DOUBLE PRECISION NOT NULL, id TEXT NOT NULL, description TEXT,
                    provider_type TEXT NOT NULL, enabled BOOLEAN NOT NULL, source TEXT NOT NULL, template BYTEA NOT NULL,
                    sealed_secret BYTEA, secret_hint TEXT, created_at DOUBLE PRECISION NOT NULL,
                    updated_at DOUBLE PRECISION NOT NULL)
                """,
                "ALTER TABLE revocations ADD COLUMN retired_provider TEXT",
                "CREATE INDEX revocations_retired ON revocations (retired_provider)",
            ], additive: true),
        // The pending flows by expiry, for the janitor that fails (and counts) the expired ones
        // (`Store.expireFlows`). Additive: an older build never uses it.
        Migration(
            statements: ["CREATE INDEX flows_pending_expiry ON flows (expires_at) WHERE status = 'pending'"],
            additive: true),
        // Which replica's callback used a flow's state (`Flow.stateUsedBy`), so that another can
        // tell one that stopped from its heartbeat. Additive: an older build leaves it empty, and
        // a newer one then waits out `Flow.callbackLimit` as before.
        Migration(statements: ["ALTER TABLE flows ADD COLUMN state_used_by TEXT"], additive: true),
        // When each API key was last used (`APIKeyRecord.lastUsedAt`). Additive: an older build
        // neither writes nor reads it, so a key only it serves shows an older use.
        Migration(statements: ["ALTER TABLE api_keys ADD COLUMN last_used_at DOUBLE PRECISION"], additive: true),
    ]

    /// How many migrations this build knows.
    package static var count: Int { all.count }

    /// The schema's version (the highest migration applied), or nil when the database holds no
    /// Gatehouse schema (no `schema_migrations` table); read on a connection of its own, changing
    /// nothing: what `store copy` asks of a database before opening it, which would migrate it.
    package static func schemaVersion(_ settings: PostgresSettings, logger: Logger) async throws -> Int? {
        let connection = try await PostgresConnection.connect(
            configuration: try settings.connectionConfiguration(), id: 0, logger: logger)
        var version: Int?
        do {
            var exists = false
            for try await found in try await connection.query(
                "SELECT to_regclass('schema_migrations') IS NOT NULL", logger: logger
            ).decode(Bool.self) {
                exists = found
            }
            if exists {
                for try await highest in try await connection.query(
                    "SELECT COALESCE(MAX(version), 0) FROM schema_migrations", logger: logger
                ).decode(Int.self) {
                    version = highest
                }
            }
        } catch {
            try? await connection.close()
            throw error
        }
        try await connection.close()
        return version
    }

    /// Brings the schema up to date under the advisory lock; refuses a schema that needs a newer
    /// build, and runs on a newer one whose later migrations only added. Returns how many
    /// migrations it applied. A wait for the lock is said once it lasts `sayingWaitsAfter`.
    @discardableResult
    package static func run(
        on client: PostgresClient, logger: Logger, through last: Int? = nil, lockWait: LockWait = LockWait(),
        sayingWaitsAfter: Duration = .seconds(1)
    ) async throws -> Int {
        try await client.withConnection { connection in
            var free = false
            for try await taken in try await connection.query("SELECT pg_try_advisory_lock(\(lockID))", logger: logger)
                .decode(Bool.self)
            {
                free = taken
            }
            if !free {
                // Said, so that a start or `gatehouse migrate` that waits does not look hung; not
                // for the moment replicas started together take turns to find nothing to apply.
                let said = Task {
                    try await Task.sleep(for: sayingWaitsAfter)
                    logger.warning(
                        "waiting for the schema's migrations that another replica or `gatehouse migrate` is running")
                }
                defer { said.cancel() }
                _ = try await connection.query("SELECT pg_advisory_lock(\(lockID))", logger: logger)
            }
            do {
                let applied = try await migrate(connection, through: last ?? all.count, lockWait: lockWait, logger: logger)
                _ = try await connection.query("SELECT pg_advisory_unlock(\(lockID))", logger: logger)
                return applied
            } catch {
                _ = try? await connection.query("SELECT pg_advisory_unlock(\(lockID))", logger: logger)
                throw error
            }
        }
    }

    private static func migrate(
        _ connection: PostgresConnection, through last: Int, lockWait: LockWait, logger: Logger
    ) async throws -> Int {
        precondition(last >= 0, "a build knows no fewer than 0 migrations")
        // Looked up before anything is made or altered: `CREATE TABLE IF NOT EXISTS` needs the
        // right to create in the schema, and `ADD COLUMN IF NOT EXISTS` to own the table (and
        // its lock) even when there is nothing to do, so a role that only reads and writes could
        // not start on a schema that is up to date. Tables made before `oldest_reader`: their
        // rows count as needing their own version.
        var (hasTable, hasColumn) = (false, false)
        for try await (table, column) in try await connection.query(
            """
            SELECT to_regclass('schema_migrations') IS NOT NULL, EXISTS (SELECT 1 FROM information_schema.columns
                WHERE table_schema = current_schema() AND table_name = 'schema_migrations' AND column_name = 'oldest_reader')
            """, logger: logger
        ).decode((Bool, Bool).self) {
            (hasTable, hasColumn) = (table, column)
        }
        if !hasTable {
            _ = try await connection.query(
                """
                CREATE TABLE IF NOT EXISTS schema_migrations (
                    version INTEGER PRIMARY KEY, applied_at DOUBLE PRECISION NOT NULL, oldest_reader INTEGER)
                """,
                logger: logger)
            hasColumn = true
        }
        if !hasColumn {
            try await withLockRetry("adding schema_migrations.oldest_reader", connection, lockWait, logger) { transaction in
                _ = try await transaction.query(
                    "ALTER TABLE schema_migrations ADD COLUMN IF NOT EXISTS oldest_reader INTEGER", logger: logger)
            }
        }
        var version = 0
        var oldestReader = 0
        for try await (highest, reader) in try await connection.query(
            "SELECT COALESCE(MAX(version), 0), COALESCE(MAX(COALESCE(oldest_reader, version)), 0) FROM schema_migrations",
            logger: logger
        ).decode((Int, Int).self) {
            version = highest
            oldestReader = reader
        }
        let known = min(last, all.count)
        guard
            let current = try SchemaCompatibility.applied(
                version: version, oldestReader: oldestReader, known: known, logger: logger)
        else { return 0 }
        let readers = SchemaCompatibility.oldestReaders(additive: all.map(\.additive))
        var applied = 0
        for (index, migration) in all.enumerated().prefix(known) where index + 1 > current {
            try await apply(migration, number: index + 1, oldestReader: readers[index], connection, lockWait, logger)
            applied += 1
        }
        return applied
    }

    /// Applies one migration in one transaction.
    private static func apply(
        _ migration: Migration, number: Int, oldestReader: Int, _ connection: PostgresConnection, _ lockWait: LockWait,
        _ logger: Logger
    ) async throws {
        logger.notice("applying schema migration \(number) of \(all.count)")
        try await withLockRetry("migration \(number)", connection, lockWait, logger) { transaction in
            for statement in migration.statements {
                _ = try await transaction.query(PostgresQuery(unsafeSQL: statement), logger: logger)
            }
            _ = try await transaction.query(
                """
                INSERT INTO schema_migrations (version, applied_at, oldest_reader)
                VALUES (\(number), \(Date().timeIntervalSince1970), \(oldestReader))
                """,
                logger: logger)
        }
    }
}
