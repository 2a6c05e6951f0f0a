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
        try await options.withStore(existing: false) { try await $0.migrate() }
        if !options.json { Output.line("the schema is up to date") }
    }
}
