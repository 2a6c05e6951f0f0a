import ArgumentParser

/// The `gatehouse` executable.
@main
struct GatehouseCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gatehouse",
        abstract: "Gatehouse: a self-hosted OAuth broker that speaks Arcade's auth API.",
        subcommands: [
            ServeCommand.self, AuthCommand.self, TokenCommand.self, ConnectionsCommand.self, ProvidersCommand.self,
            HealthCommand.self, KeysCommand.self, ReencryptCommand.self, MigrateCommand.self, StoreCommand.self,
        ],
        defaultSubcommand: ServeCommand.self)
}
