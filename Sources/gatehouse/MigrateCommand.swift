import ArgumentParser
import Foundation
import GatehouseServer

/// `gatehouse migrate`: brings the database schema up to date and exits, for deploys that
/// migrate before they roll replicas.
struct MigrateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "migrate",
        abstract: "Bring the database schema up to date, then exit (replicas also migrate at start, one at a time).")

    @OptionGroup var options: KeysCommand.StoreOptions

    func run() async throws {
        // An SQLite file is made by `serve`; a mistyped --data-dir is said, not given a new one.
        // Warnings too: a migration that waits for a lock says so at each try.
        let (before, version, known) = try await options.withStore(
            existing: true, logLevel: .notice, readingVersion: true, migrating: true
        ) {
            try await $0.migrate()
        }
        guard version > known else {
            // What it did, not only where it stands: a first migrate makes every table.
            if options.json {
                try Output.json(Migrated(before: before, version: version))
            } else if let before, version > before {
                // "Went", not "applied": on PostgreSQL a replica starting meanwhile may have
                // applied some of them.
                Output.line("the schema went from version \(before) to \(version), and is up to date")
            } else if before != nil {
                Output.line("the schema was up to date already (version \(version)); nothing was changed")
            } else {
                Output.line("the schema is up to date (version \(version))")
            }
            return
        }
        // A newer build migrated it, and its later migrations only added (otherwise the open
        // would have refused).
        if options.json {
            try Output.json(NewerSchema(version: version, known: known))
        } else {
            Output.line(
                "the schema is version \(version), newer than this Gatehouse knows (\(known)); its later migrations only added, so nothing was changed"
            )
        }
    }

    /// `--json` for a schema this build brought up to date (or found so).
    struct Migrated: Encodable {
        var schema = "up to date"
        let before: Int?
        let version: Int

        enum CodingKeys: String, CodingKey {
            case schema, version
            case before = "version_before"
        }
    }

    /// `--json` for a schema newer than this build knows.
    struct NewerSchema: Encodable {
        var schema = "newer"
        let version: Int
        let known: Int
    }
}
