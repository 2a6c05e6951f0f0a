import Foundation
import GatehouseCore
import Logging
import NIOCore
import SQLiteNIO
import Synchronization

/// The embedded store: one SQLite file, each operation one statement (or one transaction, with
/// the connection to itself) on one connection; `unsynced` is the other, for one write.
package final class SQLiteStore: Store {
    let connection: SQLiteConnection
    /// The same file opened again with `synchronous=NORMAL`: a commit here is in the file at once
    /// (for every reader, and across a crash of the process) but reaches the disk only with the
    /// next durable commit on `connection` or the next checkpoint. Only for a write that a crash
    /// of the machine may undo, because it can undo it only together with every write after it
    /// (the WAL is one log): `consumeState`.
    let unsynced: SQLiteConnection
    private let gate = StatementGate()
    /// The file, and which file it was when opened: one removed or replaced under the running
    /// server takes every write with it, so readiness says so (`ping`).
    let path: String
    private let opened: SQLiteFileIdentity?
    /// When a statement last found the file unusable (full disk, damaged file), and why.
    let unusableAt = Mutex<(at: ContinuousClock.Instant, why: String)?>(nil)
    let logger: Logger

    private init(connection: SQLiteConnection, unsynced: SQLiteConnection, path: String, logger: Logger) {
        self.connection = connection
        self.unsynced = unsynced
        self.path = path
        self.opened = SQLiteFileIdentity(path: path)
        self.logger = logger
    }

    /// Throws when the file at `path` is no longer the one this store opened, or a statement
    /// found it unusable in the last 30 seconds (a ping reads no page, and writes none).
    func requireUsableFile() throws {
        if let (at, why) = unusableAt.withLock({ $0 }), at.duration(to: .now) < .seconds(30) {
            throw GatehouseError(.storeUnavailable, "the database file \(path) could not be used just now: \(why)")
        }
        guard let opened, SQLiteFileIdentity(path: path) != opened else { return }
        throw GatehouseError(
            .storeUnavailable,
            "the database file \(path) was removed or replaced while the server ran: what is written now is lost at the next start; restore the file and restart"
        )
    }

    /// The schema's version (the highest migration applied), or nil when the file does not
    /// exist or holds no Gatehouse schema (no `schema_migrations` table); read without creating
    /// or changing anything.
    package static func schemaVersion(path: String, logger: Logger) async throws -> Int? {
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        let connection = try await SQLiteConnection.open(storage: .file(path: path), logger: logger)
        let version: Int?
        do {
            let found = try await !connection.query(
                "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'", []
            ).isEmpty
            version =
                found
                ? try await connection.query("SELECT COALESCE(MAX(version), 0) AS v FROM schema_migrations", []).first?
                    .column("v")?.integer : nil
        } catch {
            try? await connection.close()
            throw error
        }
        // Closed before returning: the last connection's close removes the `-wal` file, which
        // must not happen while the caller opens the store.
        try await connection.close()
        return version
    }

    /// How many migrations this build knows.
    package static var migrationCount: Int { SQLiteMigrations.all.count }

    /// Opens (creating if needed) the database file and brings its schema up to date (through
    /// migration `last` only, for tests of upgrades); runs on a newer schema whose later
    /// migrations only added, and refuses one that needs a newer build (`SchemaCompatibility`).
    package static func open(path: String, logger: Logger, through last: Int? = nil) async throws -> SQLiteStore {
        let connection = try await SQLiteConnection.open(storage: .file(path: path), logger: logger)
        let unsynced: SQLiteConnection
        do {
            unsynced = try await SQLiteConnection.open(storage: .file(path: path), logger: logger)
        } catch {
            try? await connection.close()
            throw error
        }
        let store = SQLiteStore(connection: connection, unsynced: unsynced, path: path, logger: logger)
        do {
            // WAL lets readers run during a write; FULL sync makes a committed grant survive a crash.
            _ = try await store.rows("PRAGMA journal_mode=WAL")
            _ = try await store.rows("PRAGMA synchronous=FULL")
            // Another process's write (a gatehouse command on the same file) is waited for by
            // `waitingForOtherWriters`, outside the gate, not in SQLite's busy handler.
            _ = try await store.rows("PRAGMA busy_timeout=0")
            try await store.migrate(through: last ?? SQLiteMigrations.all.count, logger: logger)
            _ = try await unsynced.query("PRAGMA synchronous=NORMAL", [])
            // It writes one row by a unique key: a page cache of 64 KiB (the default is 2 MiB).
            _ = try await unsynced.query("PRAGMA cache_size=-64", [])
            _ = try await unsynced.query("PRAGMA busy_timeout=0", [])
        } catch {
            // A connection must be closed before it goes away, also when the start fails.
            try? await unsynced.close()
            try? await connection.close()
            throw error
        }
        return store
    }

    /// Closes the database.
    package func close() async throws {
        try await unsynced.close()
        try await connection.close()
    }

    // Migrations (and `importAll`) run their transactions statement by statement through `rows`,
    // calling the store's own methods: they run before the store serves anything, or in a CLI
    // command that has it alone.
    private func migrate(through last: Int, logger: Logger) async throws {
        _ = try await rows(
            "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at REAL NOT NULL, oldest_reader INTEGER)"
        )
        precondition(last >= 0, "a build knows no fewer than 0 migrations")
        // Files made before the column: their rows count as needing their own version. Looked
        // up and added in one write transaction: another process may open the file at once.
        _ = try await rows("BEGIN IMMEDIATE")
        do {
            if try await !rows("PRAGMA table_info(schema_migrations)").contains(where: {
                $0.column("name")?.string == "oldest_reader"
            }) {
                _ = try await rows("ALTER TABLE schema_migrations ADD COLUMN oldest_reader INTEGER")
            }
            _ = try await rows("COMMIT")
        } catch {
            _ = try? await rows("ROLLBACK")
            throw error
        }
        // SQLite keeps whatever a column is given: a reader that is not a whole number counts as
        // needing a build no one has, so the start is refused rather than guessed.
        let row = try await rows(
            """
            SELECT COALESCE(MAX(version), 0) AS v, COALESCE(MAX(CASE WHEN typeof(COALESCE(oldest_reader, version)) = 'integer'
                THEN COALESCE(oldest_reader, version) ELSE 2147483647 END), 0) AS r FROM schema_migrations
            """
        ).first
        let known = min(last, SQLiteMigrations.all.count)
        guard
            let current = try SchemaCompatibility.applied(
                version: row?.column("v")?.integer ?? 0, oldestReader: row?.column("r")?.integer ?? 0, known: known,
                logger: logger)
        else { return }
        for (index, migration) in SQLiteMigrations.all.enumerated().prefix(known) where index + 1 > current {
            _ = try await rows("BEGIN IMMEDIATE")
            do {
                for statement in migration.statements { _ = try await rows(statement) }
                try await migration.code?(self)
                _ = try await rows(
                    "INSERT INTO schema_migrations (version, applied_at, oldest_reader) VALUES (?, ?, ?)",
                    [
                        .integer(index + 1), .float(Date().timeIntervalSince1970),
                        .integer(SQLiteMigrations.oldestReaders[index]),
                    ])
                _ = try await rows("COMMIT")
            } catch {
                _ = try? await rows("ROLLBACK")
                throw error
            }
        }
    }

    func rows(_ sql: String, _ binds: [SQLiteData] = []) async throws -> [SQLiteRow] {
        let connection = connection
        return try await waitingForOtherWriters { try await gate.shared { try await connection.query(sql, binds) } }
    }

    /// Runs one statement on `unsynced`, with `connection` idle meanwhile (a write from each
    /// connection at once would find the file locked by the other).
    func unsyncedRows(_ sql: String, _ binds: [SQLiteData]) async throws -> [SQLiteRow] {
        let unsynced = unsynced
        return try await waitingForOtherWriters { try await gate.exclusive { try await unsynced.query(sql, binds) } }
    }

    /// Runs `body` in one transaction, with no other statement running meanwhile; `body` runs
    /// its statements through the function it is given. Rolled back when `body` throws.
    func transaction<T>(
        _ body: (_ run: (String, [SQLiteData]) async throws -> [SQLiteRow]) async throws -> T
    ) async throws -> T {
        let connection = connection
        // A `BEGIN IMMEDIATE` refused because another process writes has done nothing: tried
        // again after a pause, with the gate open meanwhile.
        return try await waitingForOtherWriters {
            try await gate.exclusive {
                _ = try await connection.query("BEGIN IMMEDIATE", [])
                return try await run(body, on: connection)
            }
        }
    }

    private func run<T>(
        _ body: (_ run: (String, [SQLiteData]) async throws -> [SQLiteRow]) async throws -> T, on connection: SQLiteConnection
    ) async throws -> T {
        do {
            let result = try await body { sql, binds in try await connection.query(sql, binds) }
            _ = try await connection.query("COMMIT", [])
            return result
        } catch {
            _ = try? await connection.query("ROLLBACK", [])
            throw error
        }
    }
}
