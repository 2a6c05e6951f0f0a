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
        try await options.withStore(existing: true) { try await $0.migrate() }
        if options.json {
            try Output.json(["schema": "up to date"])
        } else {
            Output.line("the schema is up to date")
        }
    }
}
