import GatehouseCore
import SQLiteNIO

/// The SQLite schema, as an ordered list of migrations applied once each.
enum SQLiteMigrations {
    /// One migration: statements, then an optional step in Swift, in one transaction; and
    /// whether it only adds, so that a build that predates it keeps working on the schema it
    /// leaves (`SchemaCompatibility`).
    struct Migration: Sendable {
        let statements: [String]
        let additive: Bool
        let code: (@Sendable (SQLiteStore) async throws -> Void)?

        init(
            _ statements: [String], additive: Bool = false, code: (@Sendable (SQLiteStore) async throws -> Void)? = nil
        ) {
            self.statements = statements
            self.additive = additive
            self.code = code
        }
    }

    static let all: [Migration] =
        statementMigrations.map { Migration($0) } + [
            atRest, callbackTime, signOuts, revocations, retiredProviders, pendingExpiry, callbackServer, keyUse,
        ]

    /// The oldest reader recorded with each migration, in order.
    static let oldestReaders = SchemaCompatibility.oldestReaders(additive: all.map(\.additive))

    // The pending flows by expiry, for the janitor that fails (and counts) the expired ones
    // (`Store.expireFlows`). Additive: an older build never uses it.
    static let pendingExpiry = Migration(
        ["CREATE INDEX flows_pending_expiry ON flows(expires_at) WHERE status = 'pending'"], additive: true)

    // Deleted connections' grants still to be revoked at their providers (`PendingRevocation`).
    // Additive: an older build neither writes nor reads it, so a delete on an older replica
    // during a rollout revokes once, as that build always did.
    static let revocations = Migration(
        [
            """
            CREATE TABLE revocations (
                id TEXT PRIMARY KEY, user_id TEXT NOT NULL, provider_id TEXT NOT NULL, sealed_tokens BLOB NOT NULL,
                user_info TEXT, created_at REAL NOT NULL, attempts INTEGER NOT NULL, next_attempt_at REAL NOT NULL,
                last_error TEXT, destination TEXT NOT NULL)
            """,
            "CREATE INDEX revocations_due ON revocations(next_attempt_at)",
        ], additive: true)

    // Deleted providers kept for their grants' revocations (`RetiredProvider`), which name them.
    // Additive, but an older build does not know them: its revocation job drops such a
    // revocation (no provider of the id) or sends it with the credentials of a provider made
    // again under the id at the same origin, and its provider writes under the id delete
    // them (operations.md: delete providers once a rollout has ended).
    static let retiredProviders = Migration(
        [
            """
            CREATE TABLE retired_providers (
                key TEXT PRIMARY KEY, retired_at REAL NOT NULL, id TEXT NOT NULL, description TEXT,
                provider_type TEXT NOT NULL, enabled INTEGER NOT NULL, source TEXT NOT NULL, template BLOB NOT NULL,
                sealed_secret BLOB, secret_hint TEXT, created_at REAL NOT NULL, updated_at REAL NOT NULL)
            """,
            "ALTER TABLE revocations ADD COLUMN retired_provider TEXT",
            "CREATE INDEX revocations_retired ON revocations (retired_provider)",
        ], additive: true)

    // Dashboard sessions signed out before their cookies lapse (`DashboardSessions`). Additive,
    // though an older build does not honour it: a session signed out on a newer replica still
    // signs in on an older one until the rollout ends (operations.md says so).
    static let signOuts = Migration(
        ["CREATE TABLE dashboard_sign_outs (session TEXT PRIMARY KEY, until REAL NOT NULL)"], additive: true)

    // When a callback used its flow's state: a flow whose callback never finished (the process
    // stopped during the code exchange) is failed once that is long past (`AuthBroker.statusNow`).
    static let callbackTime = Migration(["ALTER TABLE flows ADD COLUMN state_used_at REAL"], additive: true)
    // Which server's callback used a flow's state (`Flow.stateUsedBy`). Additive: an older build
    // leaves it empty, and a newer one then waits out `Flow.callbackLimit` as before.
    static let callbackServer = Migration(["ALTER TABLE flows ADD COLUMN state_used_by TEXT"], additive: true)
    // When each API key was last used (`APIKeyRecord.lastUsedAt`). Additive: an older build
    // neither writes nor reads it, so a key only it serves shows an older use.
    static let keyUse = Migration(["ALTER TABLE api_keys ADD COLUMN last_used_at REAL"], additive: true)

    // Nothing usable at rest in clear: the authorize URL (it carries `state`) is sealed from
    // now on and the `url` column stays empty; a flow still waiting for its callback with a
    // clear URL ends (its user starts again); verification ids are kept as hashes.
    static let atRest = Migration(
        [
            "ALTER TABLE flows ADD COLUMN sealed_url BLOB",
            """
            UPDATE flows SET status = 'failed', open_key = NULL, version = version + 1,
                failure_reason = 'Gatehouse was upgraded while this authorization was open; start it again'
            WHERE status = 'pending' AND state_used = 0
            """,
            "UPDATE flows SET url = ''",
        ],
        code: { store in
            for row in try await store.rows("SELECT id, verification_id FROM flows WHERE verification_id IS NOT NULL") {
                guard let id = row.column("id")?.string, let clear = row.column("verification_id")?.string else { continue }
                _ = try await store.rows(
                    "UPDATE flows SET verification_id = ? WHERE id = ?", [.text(SecretHash.hex(clear)), .text(id)])
            }
        })

    static let statementMigrations: [[String]] = [
        [
            """
            CREATE TABLE providers (
                id TEXT PRIMARY KEY, description TEXT, provider_type TEXT NOT NULL, enabled INTEGER NOT NULL,
                source TEXT NOT NULL, template BLOB NOT NULL, sealed_secret BLOB, secret_hint TEXT,
                created_at REAL NOT NULL, updated_at REAL NOT NULL)
            """,
            """
            CREATE TABLE flows (
                id TEXT PRIMARY KEY, user_id TEXT NOT NULL, provider_id TEXT NOT NULL,
                requested_scopes TEXT NOT NULL, authorize_scopes TEXT NOT NULL, state_hash TEXT NOT NULL UNIQUE,
                sealed_verifier BLOB, url TEXT NOT NULL, next_uri TEXT, status TEXT NOT NULL,
                state_used INTEGER NOT NULL DEFAULT 0, verification_id TEXT UNIQUE, sealed_tokens BLOB,
                user_info TEXT, failure_reason TEXT, open_key TEXT UNIQUE,
                created_at REAL NOT NULL, expires_at REAL NOT NULL, version INTEGER NOT NULL)
            """,
            "CREATE INDEX flows_created_at ON flows(created_at)",
            """
            CREATE TABLE connections (
                id TEXT PRIMARY KEY, user_id TEXT NOT NULL, provider_id TEXT NOT NULL, scopes TEXT NOT NULL,
                sealed_tokens BLOB NOT NULL, expires_at REAL NOT NULL, user_info TEXT, status TEXT NOT NULL,
                auth_id TEXT NOT NULL, created_at REAL NOT NULL, updated_at REAL NOT NULL,
                version INTEGER NOT NULL, lease_owner TEXT, lease_until REAL,
                UNIQUE(user_id, provider_id))
            """,
            "CREATE INDEX connections_provider ON connections(provider_id, user_id)",
            "CREATE TABLE api_keys (hash TEXT PRIMARY KEY, name TEXT NOT NULL, created_at REAL NOT NULL)",
            "CREATE TABLE settings (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
        ],
        [
            """
            CREATE TABLE secrets (
                id TEXT PRIMARY KEY, key TEXT NOT NULL UNIQUE, sealed_value BLOB NOT NULL, description TEXT,
                hint TEXT, created_at REAL NOT NULL, updated_at REAL NOT NULL)
            """
        ],
        // Key roles. Keys made before roles existed were all-powerful; they stay admin, and
        // every key inserted from now on names its role.
        ["ALTER TABLE api_keys ADD COLUMN role TEXT NOT NULL DEFAULT 'admin'"],
    ]
}
