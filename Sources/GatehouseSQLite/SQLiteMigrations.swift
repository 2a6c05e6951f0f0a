/// The SQLite schema, as an ordered list of migrations applied once each.
enum SQLiteMigrations {
    static let all: [[String]] = [
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
    ]
}
