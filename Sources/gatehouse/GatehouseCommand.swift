import ArgumentParser
import Foundation
import GatehouseCore
import GatehouseServer

/// The `gatehouse` executable.
@main
struct GatehouseCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gatehouse",
        abstract: "Gatehouse: a self-hosted OAuth broker that speaks Arcade's auth API.",
        version: GatehouseVersion.described,
        subcommands: [
            ServeCommand.self, AuthCommand.self, TokenCommand.self, ConnectionsCommand.self, ProvidersCommand.self,
            HealthCommand.self, KeysCommand.self, ReencryptCommand.self, MigrateCommand.self, StoreCommand.self,
        ],
        defaultSubcommand: ServeCommand.self)

    /// Runs the command; a usage error exits 2, as the README says (ArgumentParser's own is 64).
    static func main() async {
        // A first word that names no command would go to `serve`, the default, and be refused
        // as an argument of it, with serve's usage: a mistyped command is said as such.
        if let word = CommandLine.arguments.dropFirst().first, !word.hasPrefix("-"), word != "help",
            !configuration.subcommands.contains(where: { $0._commandName == word })
        {
            let commands = configuration.subcommands.map { $0._commandName }.joined(separator: ", ")
            Output.error("error: '\(word)' is not a gatehouse command (\(commands)); see gatehouse --help")
            Foundation.exit(CLIError.Code.usage.rawValue)
        }
        do {
            var command = try parseAsRoot()
            if var command = command as? any AsyncParsableCommand {
                try await command.run()
            } else {
                try command.run()
            }
        } catch {
            guard exitCode(for: error) == .validationFailure else { exit(withError: error) }
            Output.error(fullMessage(for: error))
            Foundation.exit(CLIError.Code.usage.rawValue)
        }
    }
}
