import Foundation
import GatehouseCore
import GatehousePostgres
import GatehouseSQLite
import Logging

/// `gatehouse store copy`: moves an install between stores, every row, and proves it by
/// comparing row counts and checksums per table afterwards.
package enum StoreCopy {
    /// One table's figures on both sides.
    package struct Table: Sendable {
        /// The table.
        package let name: String
        /// Its rows in the source.
        package let sourceRows: Int
        /// Its rows in the target, after the copy.
        package let targetRows: Int
        /// SHA-256 of its rows in a fixed order, in the source.
        package let sourceChecksum: String
        /// The same in the target, after the copy.
        package let targetChecksum: String
        /// Whether the copy has every row unchanged.
        package var matches: Bool { sourceRows == targetRows && sourceChecksum == targetChecksum }
    }

    /// Throws a `ConfigurationError` (a usage error) unless `text` is `sqlite:PATH` or a
    /// `postgres://` URL.
    package static func check(location text: String) throws {
        _ = try location(text)
    }

    /// `sqlite:PATH` or a `postgres://` URL.
    static func location(_ text: String) throws -> StorageChoice {
        if text.hasPrefix("sqlite:") {
            let path = String(text.dropFirst("sqlite:".count))
            guard !path.isEmpty else {
                throw ConfigurationError(description: "sqlite: needs a path, like sqlite:/var/lib/gatehouse/gatehouse.sqlite")
            }
            return .sqlite(path: path)
        }
        do {
            return .postgres(try PostgresSettings(url: text))
        } catch let error as PostgresSettingsError {
            // A URL only by its scheme, and text that may carry a password (`user:pw@host`,
            // `password=`) not at all.
            let shown =
                text.range(of: "://").map { "\(text[..<$0.upperBound])…" }
                ?? (text.contains("@") || text.contains("=") ? "…" : text)
            throw ConfigurationError(
                description: "'\(shown)' is neither sqlite:PATH nor a postgres:// URL: \(error.reason)")
        }
    }

    /// Copies everything from `source` to `target`. A target that holds anything is refused
    /// unless `replace` (then its rows are replaced, in the same transaction as the copy).
    package static func run(from source: String, to target: String, replace: Bool, allowRunning: Bool = false) async throws
        -> [Table]
    {
        var logger = Logger(label: "gatehouse")
        logger.logLevel = .error
        let from = try location(source)
        let to = try location(target)
        // Opening a store migrates it: a source without Gatehouse's tables (a mistyped path or
        // database name) would be given them, and copied as 0 rows.
        for case .postgres(let settings) in [from, to] { try await Self.probe(settings, logger) }
        guard let sourceVersion = try await from.schemaVersion(logger: logger) else {
            throw ConfigurationError(description: "no Gatehouse database at \(from.redacted): it has no Gatehouse tables")
        }
        // A schema newer than this build knows has columns it would not copy: only the build
        // that knows every migration copies every row whole.
        let targetVersion = try await to.schemaVersion(logger: logger) ?? 0
        for (side, version) in [(from, sourceVersion), (to, targetVersion)] where version > side.migrationCount {
            throw ConfigurationError(
                description: "the schema at \(side.redacted) is version \(version), newer than this Gatehouse knows "
                    + "(\(side.migrationCount)): copy with the Gatehouse that made it")
        }
        if case .sqlite(let path) = to {
            // A directory made here is private; one that exists is left as it is (it may be shared,
            // such as /tmp): the database file itself is made 0600 when the store opens it.
            let directory = (path as NSString).deletingLastPathComponent
            if !FileManager.default.fileExists(atPath: directory) { try DataFilePermissions.secureDirectory(directory) }
        }
        let snapshot = try await using(from, logger) { store in
            if !allowRunning {
                try await refuseRunning(
                    on: store, side: "source",
                    why: "what they write during the copy would be missing from it, or half in it")
            }
            return try await store.exportAll()
        }
        let copied = try await using(to, logger) { store in
            let empty = try await store.exportAll().isEmpty
            guard replace || empty else {
                throw ConfigurationError(
                    description: "the target already holds data: pass --replace to replace it (every row there is removed)")
            }
            if !allowRunning {
                try await refuseRunning(
                    on: store, side: "target",
                    why: "--replace would change the rows under them, and their caches would keep serving the old ones")
            }
            try await store.importAll(snapshot, replacing: replace)
            return try await store.exportAll()
        }
        return zip(snapshot.summary, copied.summary).map { before, after in
            Table(
                name: before.table, sourceRows: before.rows, targetRows: after.rows, sourceChecksum: before.checksum,
                targetChecksum: after.checksum)
        }
    }

    /// Throws, naming them, when servers said within `RunningServer.liveFor` that they run on
    /// `store`.
    private static func refuseRunning(on store: any Store, side: String, why: String) async throws {
        let now = try await store.sharedTime(Date())
        let running = try await RunningServer.running(in: store, now: now)
        guard !running.isEmpty else { return }
        let named = running.map { "\($0.host) pid \($0.pid), seen \(max(0, Int(now.timeIntervalSince($0.seen)))) s ago" }
        throw ConfigurationError(
            description:
                "gatehouse serve runs on the \(side) (\(named.joined(separator: "; "))): stop it first, since \(why). A server killed without a stop counts as running for \(Int(RunningServer.liveFor)) s; --allow-running copies all the same"
        )
    }

    /// Reaches the PostgreSQL server as a start does; what it refused is said as the start says it.
    private static func probe(_ settings: PostgresSettings, _ logger: Logger) async throws {
        do {
            try await PostgresProbe.check(settings, logger: logger, within: .seconds(15))
        } catch let error as PostgresSettingsError {
            throw ConfigurationError(description: "cannot use \(settings.redacted): \(error.reason)")
        }
    }

    /// Opens a store, migrated, runs `body` on it, and releases it.
    private static func using<T: Sendable>(
        _ choice: StorageChoice, _ logger: Logger, _ body: (any Store) async throws -> T
    ) async throws -> T {
        let storage = try await choice.open(logger: logger, migrationLimit: .command)
        do {
            let result = try await storage.bootstrap(body)
            await storage.abandon()
            return result
        } catch {
            await storage.abandon()
            throw error
        }
    }
}
