import Foundation
import GatehouseCore
import Logging
import NIOCore
import SQLiteNIO

/// The embedded store: one SQLite file, one connection, each operation one statement.
public final class SQLiteStore: Store {
    let connection: SQLiteConnection

    private init(connection: SQLiteConnection) {
        self.connection = connection
    }

    /// Opens (creating if needed) the database file and brings its schema up to date.
    public static func open(path: String, logger: Logger) async throws -> SQLiteStore {
        let connection = try await SQLiteConnection.open(storage: .file(path: path), logger: logger)
        let store = SQLiteStore(connection: connection)
        do {
            // WAL lets readers run during a write; FULL sync makes a committed grant survive a crash.
            _ = try await store.rows("PRAGMA journal_mode=WAL")
            _ = try await store.rows("PRAGMA synchronous=FULL")
            _ = try await store.rows("PRAGMA busy_timeout=5000")
            try await store.migrate()
        } catch {
            // A connection must be closed before it goes away, also when the start fails.
            try? await connection.close()
            throw error
        }
        return store
    }

    /// Closes the database.
    public func close() async throws {
        try await connection.close()
    }

    private func migrate() async throws {
        _ = try await rows("CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at REAL NOT NULL)")
        let applied =
            try await rows("SELECT COALESCE(MAX(version), 0) AS v FROM schema_migrations").first?.column("v")?.integer ?? 0
        let known = SQLiteMigrations.all.count
        guard applied <= known else {
            throw GatehouseError(
                .internalError,
                "the database schema is version \(applied), newer than this Gatehouse knows (\(known)): run a newer Gatehouse")
        }
        for (index, migration) in SQLiteMigrations.all.enumerated() where index + 1 > applied {
            _ = try await rows("BEGIN IMMEDIATE")
            do {
                for statement in migration.statements { _ = try await rows(statement) }
                try await migration.code?(self)
                _ = try await rows(
                    "INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)",
                    [.integer(index + 1), .float(Date().timeIntervalSince1970)])
                _ = try await rows("COMMIT")
            } catch {
                _ = try? await rows("ROLLBACK")
                throw error
            }
        }
    }

    func rows(_ sql: String, _ binds: [SQLiteData] = []) async throws -> [SQLiteRow] {
        try await connection.query(sql, binds)
    }

    // MARK: providers

    /// All providers, by id.
    public func providers() async throws -> [ProviderRecord] {
        try await rows("SELECT * FROM providers ORDER BY id").map(Self.provider)
    }

    /// One provider.
    public func provider(id: String) async throws -> ProviderRecord? {
        try await rows("SELECT * FROM providers WHERE id = ?", [.text(id)]).first.map(Self.provider)
    }

    /// Adds a provider; `conflict` when the id is taken.
    public func insertProvider(_ record: ProviderRecord) async throws {
        let inserted = try await rows(
            """
            INSERT INTO providers (id, description, provider_type, enabled, source, template, sealed_secret,
                secret_hint, created_at, updated_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(id) DO NOTHING RETURNING id
            """, Self.binds(record))
        guard !inserted.isEmpty else {
            throw GatehouseError(.conflict, "auth provider '\(record.id)' already exists")
        }
    }

    /// Replaces a provider, possibly renaming it.
    public func updateProvider(id: String, with record: ProviderRecord) async throws -> Bool {
        do {
            return try await !rows(
                """
                UPDATE providers SET id = ?, description = ?, provider_type = ?, enabled = ?, source = ?,
                    template = ?, sealed_secret = ?, secret_hint = ?, created_at = ?, updated_at = ?
                WHERE id = ? RETURNING id
                """, Self.binds(record) + [.text(id)]
            ).isEmpty
        } catch let error as SQLiteError
            where [.constraint, .constraintPrimaryKeyFailed, .constraintUniqueFailed].contains(error.reason)
        {
            throw GatehouseError(.conflict, "auth provider '\(record.id)' already exists")
        }
    }

    /// Inserts or replaces a provider.
    public func upsertProvider(_ record: ProviderRecord) async throws {
        _ = try await rows(
            """
            INSERT INTO providers (id, description, provider_type, enabled, source, template, sealed_secret,
                secret_hint, created_at, updated_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT(id) DO UPDATE SET description = excluded.description,
                provider_type = excluded.provider_type, enabled = excluded.enabled, source = excluded.source,
                template = excluded.template, sealed_secret = excluded.sealed_secret,
                secret_hint = excluded.secret_hint, updated_at = excluded.updated_at
            """, Self.binds(record))
    }

    /// Removes a provider.
    public func deleteProvider(id: String) async throws -> ProviderRecord? {
        try await rows("DELETE FROM providers WHERE id = ? RETURNING *", [.text(id)]).first.map(Self.provider)
    }

    // MARK: flows

    /// Adds a flow unless an open one holds its dedupe key; returns the holder.
    public func insertFlowDeduplicated(_ flow: Flow, now: Date) async throws -> Flow {
        let key = flow.dedupeKey
        for _ in 0..<3 {
            // An expired holder gives the key up.
            _ = try await rows(
                """
                UPDATE flows SET open_key = NULL, status = 'failed', failure_reason = 'the authorization expired',
                    version = version + 1
                WHERE open_key = ? AND expires_at <= ?
                """, [.text(key), .float(now.timeIntervalSince1970)])
            _ = try await rows(
                """
                INSERT INTO flows (id, user_id, provider_id, requested_scopes, authorize_scopes, state_hash,
                    sealed_verifier, sealed_url, url, next_uri, status, state_used, verification_id, sealed_tokens,
                    user_info, failure_reason, open_key, created_at, expires_at, version)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'pending', 0, NULL, NULL, NULL, NULL, ?, ?, ?, 1)
                ON CONFLICT(open_key) DO NOTHING
                """,
                [
                    .text(flow.id), .text(flow.userID), .text(flow.providerID), .text(Self.json(flow.requestedScopes)),
                    .text(Self.json(flow.authorizeScopes)), .text(flow.stateHash), Self.blob(flow.sealedVerifier),
                    Self.blob(flow.sealedURL), .text(""), flow.nextURI.map(SQLiteData.text) ?? .null, .text(key),
                    .float(flow.createdAt.timeIntervalSince1970), .float(flow.expiresAt.timeIntervalSince1970),
                ])
            if let holder = try await rows("SELECT * FROM flows WHERE open_key = ?", [.text(key)]).first {
                return try Self.flow(holder)
            }
        }
        throw GatehouseError(.internalError, "could not store the flow")
    }

    /// One flow by id.
    public func flow(id: String) async throws -> Flow? {
        try await rows("SELECT * FROM flows WHERE id = ?", [.text(id)]).first.map(Self.flow)
    }

    /// One flow by verification-id hash.
    public func flow(verificationHash: String) async throws -> Flow? {
        try await rows("SELECT * FROM flows WHERE verification_id = ?", [.text(verificationHash)]).first.map(Self.flow)
    }

    /// Single-use state: marks it used and returns the flow, if it was unused, pending and fresh.
    public func consumeState(hash: String, now: Date) async throws -> Flow? {
        try await rows(
            """
            UPDATE flows SET state_used = 1, open_key = NULL, version = version + 1
            WHERE state_hash = ? AND state_used = 0 AND status = 'pending' AND expires_at > ?
            RETURNING *
            """, [.text(hash), .float(now.timeIntervalSince1970)]
        ).first.map(Self.flow)
    }

    /// Optimistic update of a flow.
    public func updateFlow(_ flow: Flow, expectedVersion: Int) async throws -> Flow? {
        try await rows(
            """
            UPDATE flows SET status = ?, sealed_tokens = ?, user_info = ?, failure_reason = ?, verification_id = ?,
                open_key = CASE WHEN ? = 'pending' THEN open_key ELSE NULL END, version = version + 1
            WHERE id = ? AND version = ? RETURNING *
            """,
            [
                .text(flow.status.rawValue), Self.blob(flow.sealedTokens), Self.jsonOrNull(flow.userInfo),
                flow.failureReason.map(SQLiteData.text) ?? .null, flow.verificationHash.map(SQLiteData.text) ?? .null,
                .text(flow.status.rawValue), .text(flow.id), .integer(expectedVersion),
            ]
        ).first.map(Self.flow)
    }

    /// Removes old ended flows no connection refers to.
    public func deleteEndedFlows(createdBefore cutoff: Date) async throws -> Int {
        let time = SQLiteData.float(cutoff.timeIntervalSince1970)
        return try await rows(
            """
            DELETE FROM flows
            WHERE created_at < ? AND (status <> 'pending' OR expires_at < ?)
                AND id NOT IN (SELECT auth_id FROM connections)
            RETURNING id
            """, [time, time]
        ).count
    }

    // MARK: connections

    /// A user's connection with a provider.
    public func connection(userID: String, providerID: String) async throws -> Connection? {
        try await rows("SELECT * FROM connections WHERE user_id = ? AND provider_id = ?", [.text(userID), .text(providerID)])
            .first.map(Self.connection)
    }

    /// One connection.
    public func connection(id: String) async throws -> Connection? {
        try await rows("SELECT * FROM connections WHERE id = ?", [.text(id)]).first.map(Self.connection)
    }

    /// Inserts or replaces the (user, provider) connection.
    public func upsertConnection(_ connection: Connection) async throws -> Connection {
        let stored = try await rows(
            """
            INSERT INTO connections (id, user_id, provider_id, scopes, sealed_tokens, expires_at, user_info, status,
                auth_id, created_at, updated_at, version)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1)
            ON CONFLICT(user_id, provider_id) DO UPDATE SET scopes = excluded.scopes,
                sealed_tokens = excluded.sealed_tokens, expires_at = excluded.expires_at,
                user_info = excluded.user_info, status = excluded.status, auth_id = excluded.auth_id,
                updated_at = excluded.updated_at, version = connections.version + 1
            RETURNING *
            """,
            [
                .text(connection.id), .text(connection.userID), .text(connection.providerID),
                .text(Self.json(connection.scopes)), Self.blob(connection.sealedTokens),
                .float(connection.expiresAt.timeIntervalSince1970), Self.jsonOrNull(connection.userInfo),
                .text(connection.status.rawValue), .text(connection.authID),
                .float(connection.createdAt.timeIntervalSince1970), .float(connection.updatedAt.timeIntervalSince1970),
            ])
        guard let row = stored.first else { throw GatehouseError(.internalError, "could not store the connection") }
        return try Self.connection(row)
    }

    /// A page of connections and the total.
    public func connections(_ query: ConnectionQuery) async throws -> (items: [Connection], total: Int) {
        let filter = "WHERE (? IS NULL OR user_id = ?) AND (? IS NULL OR provider_id = ?)"
        let user = query.userID.map(SQLiteData.text) ?? .null
        let provider = query.providerID.map(SQLiteData.text) ?? .null
        let items = try await rows(
            "SELECT * FROM connections \(filter) ORDER BY provider_id, user_id LIMIT ? OFFSET ?",
            [user, user, provider, provider, .integer(query.limit), .integer(query.offset)]
        ).map(Self.connection)
        let total =
            try await rows("SELECT COUNT(*) AS n FROM connections \(filter)", [user, user, provider, provider])
            .first?.column("n")?.integer ?? 0
        return (items, Int(total))
    }

    /// Removes a connection.
    public func deleteConnection(id: String) async throws -> Bool {
        try await !rows("DELETE FROM connections WHERE id = ? RETURNING id", [.text(id)]).isEmpty
    }

    /// Takes the refresh lease if free or lapsed.
    public func acquireRefreshLease(connectionID: String, owner: String, until: Date, now: Date) async throws -> Connection? {
        try await rows(
            """
            UPDATE connections SET lease_owner = ?, lease_until = ?
            WHERE id = ? AND (lease_owner IS NULL OR lease_until <= ?) RETURNING *
            """, [.text(owner), .float(until.timeIntervalSince1970), .text(connectionID), .float(now.timeIntervalSince1970)]
        ).first.map(Self.connection)
    }

    /// Stores refreshed tokens and frees the lease, if still held and unchanged.
    public func completeRefresh(_ connection: Connection, owner: String) async throws -> Connection? {
        try await rows(
            """
            UPDATE connections SET scopes = ?, sealed_tokens = ?, expires_at = ?, user_info = ?, status = ?,
                updated_at = ?, version = version + 1, lease_owner = NULL, lease_until = NULL
            WHERE id = ? AND lease_owner = ? AND version = ? RETURNING *
            """,
            [
                .text(Self.json(connection.scopes)), Self.blob(connection.sealedTokens),
                .float(connection.expiresAt.timeIntervalSince1970), Self.jsonOrNull(connection.userInfo),
                .text(connection.status.rawValue), .float(connection.updatedAt.timeIntervalSince1970),
                .text(connection.id), .text(owner), .integer(connection.version),
            ]
        ).first.map(Self.connection)
    }

    /// Frees the lease, setting the status.
    public func releaseRefreshLease(connectionID: String, owner: String, status: Connection.Status) async throws {
        _ = try await rows(
            """
            UPDATE connections SET lease_owner = NULL, lease_until = NULL, status = ?,
                version = version + (CASE WHEN status = ? THEN 0 ELSE 1 END)
            WHERE id = ? AND lease_owner = ?
            """, [.text(status.rawValue), .text(status.rawValue), .text(connectionID), .text(owner)])
    }

    // MARK: tool secrets

    /// Every tool secret.
    public func secrets() async throws -> [SecretRecord] {
        try await rows("SELECT * FROM secrets ORDER BY key").map(Self.secret)
    }

    /// Inserts or replaces a secret by key.
    public func upsertSecret(_ record: SecretRecord) async throws -> SecretRecord {
        let stored = try await rows(
            """
            INSERT INTO secrets (id, key, sealed_value, description, hint, created_at, updated_at)
            VALUES (?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT(key) DO UPDATE SET sealed_value = excluded.sealed_value,
                description = COALESCE(excluded.description, secrets.description), hint = excluded.hint,
                updated_at = excluded.updated_at
            RETURNING *
            """,
            [
                .text(record.id), .text(record.key), Self.blob(record.sealedValue),
                record.description.map(SQLiteData.text) ?? .null, record.hint.map(SQLiteData.text) ?? .null,
                .float(record.createdAt.timeIntervalSince1970), .float(record.updatedAt.timeIntervalSince1970),
            ])
        guard let row = stored.first else { throw GatehouseError(.internalError, "could not store the secret") }
        return try Self.secret(row)
    }

    /// Removes a secret.
    public func deleteSecret(id: String) async throws -> Bool {
        try await !rows("DELETE FROM secrets WHERE id = ? RETURNING id", [.text(id)]).isEmpty
    }

    // MARK: api keys and settings

    /// Adds an API key.
    public func insertAPIKey(_ record: APIKeyRecord) async throws {
        _ = try await rows(
            "INSERT INTO api_keys (hash, name, role, created_at) VALUES (?, ?, ?, ?)",
            [.text(record.hash), .text(record.name), .text(record.role.rawValue), .float(record.createdAt.timeIntervalSince1970)])
    }

    /// Every API key.
    public func apiKeys() async throws -> [APIKeyRecord] {
        try await rows("SELECT hash, name, role, created_at FROM api_keys ORDER BY created_at").map(Self.apiKey)
    }

    /// Removes keys by hash prefix.
    public func deleteAPIKeys(hashPrefix: String) async throws -> Int {
        guard hashPrefix.count >= 8, hashPrefix.allSatisfy(\.isHexDigit) else { return 0 }
        return try await rows(
            "DELETE FROM api_keys WHERE substr(hash, 1, ?) = ? RETURNING hash",
            [.integer(hashPrefix.count), .text(hashPrefix.lowercased())]
        ).count
    }

    /// The key with this hash.
    public func apiKey(hash: String) async throws -> APIKeyRecord? {
        try await rows("SELECT hash, name, role, created_at FROM api_keys WHERE hash = ?", [.text(hash)]).first.map(Self.apiKey)
    }

    /// The number of keys.
    public func apiKeyCount() async throws -> Int {
        Int(try await rows("SELECT COUNT(*) AS n FROM api_keys").first?.column("n")?.integer ?? 0)
    }

    /// A setting.
    public func setting(_ key: String) async throws -> String? {
        try await rows("SELECT value FROM settings WHERE key = ?", [.text(key)]).first?.column("value")?.string
    }

    /// Writes a setting.
    public func setSetting(_ key: String, value: String) async throws {
        _ = try await rows(
            "INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            [.text(key), .text(value)])
    }
}
