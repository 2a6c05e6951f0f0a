import ArgumentParser
import Foundation
import GatehouseCore
import GatehouseServer
import Logging

/// `gatehouse keys`: API keys, managed on the server's own store.
struct KeysCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keys", abstract: "Create, list and revoke API keys (run where the server's data lives).",
        subcommands: [Create.self, List.self, Revoke.self])

    struct StoreOptions: ParsableArguments {
        @Option(name: .shortAndLong, help: "The server's config file.") var config: String?
        @Option(name: .customLong("data-dir"), help: "The server's data directory (default ./.gatehouse or GATEHOUSE_HOME).")
        var dataDirectory: String?
        @Flag(help: "Print JSON instead of a table.") var json = false

        func withStore<T>(
            existing: Bool = true, logLevel: Logger.Level = .error, readingVersion: Bool = false, migrating: Bool = false,
            _ body: (OperatorStore) async throws -> T
        ) async throws -> T {
            let configuration: GatehouseConfiguration
            let store: OperatorStore
            do {
                configuration = try ConfigurationLoader.load(
                    path: config, environment: ProcessInfo.processInfo.environment,
                    overrides: (nil, nil, dataDirectory), sections: ConfigurationLoader.storeSections)
                store = try await OperatorStore.open(
                    configuration, create: !existing, logLevel: logLevel, readingVersion: readingVersion,
                    migrating: migrating)
            } catch {
                Output.error("error: \(error)")
                throw ExitCode(CLIError.Code.usage.rawValue)
            }
            do {
                let result = try await body(store)
                try await store.close()
                return result
            } catch let error as ConfigurationError {
                // A database the command cannot use, met once it is asked (PostgreSQL connects
                // then; SQLite at the open): exit 2 on both, as `serve` refuses it.
                try? await store.close()
                Output.error("error: \(error)")
                throw ExitCode(CLIError.Code.usage.rawValue)
            } catch {
                try? await store.close()
                throw error
            }
        }
    }

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create an API key; it is printed once, alone on standard output, and its id on standard error.")
        @OptionGroup var options: StoreOptions
        @Option(help: "A name for the key.") var name: String = "cli"
        @Option(help: "app (authorize users, read status; the default) or admin (also /v1/admin/*).")
        var role: APIKeyRole = .app

        /// The dashboard's rule (`APIKeyName`).
        func validate() throws {
            guard APIKeyName.validated(name) != nil else {
                throw ValidationError("--name must be 1 to 100 characters, without control characters")
            }
        }

        func run() async throws {
            let name = APIKeyName.validated(name) ?? name
            let key = try await options.withStore { try await $0.createAPIKey(name: name, role: role) }
            // The id is what `keys list`, `keys revoke` and the logs' `key_id` name it by; the
            // key alone goes to standard output, for `KEY=$(gatehouse keys create)`.
            let id = APIKeyRecord.id(of: key)
            if options.json {
                try Output.json(["api_key": key, "id": id, "name": name, "role": role.rawValue])
            } else {
                Output.line(key)
                Output.error("created key \(id) (name \(name), role \(role.rawValue)); `gatehouse keys revoke \(id)` revokes it")
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List API keys (ids and names; keys are never stored), with when each was last used (to the minute).")
        @OptionGroup var options: StoreOptions

        func run() async throws {
            let keys = try await options.withStore { try await $0.apiKeys() }
            if options.json {
                return try Output.json(
                    keys.map {
                        [
                            "id": $0.id, "name": $0.name, "role": $0.role.rawValue,
                            "created_at": $0.createdAt.iso8601, "last_used_at": $0.lastUsedAt?.iso8601,
                        ]
                    })
            }
            Output.table(
                ["ID", "NAME", "ROLE", "CREATED", "LAST USED"],
                keys.map { [$0.id, $0.name, $0.role.rawValue, $0.createdAt.iso8601, $0.lastUsedAt?.iso8601 ?? "never"] })
        }
    }

    struct Revoke: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Revoke an API key by id (a running server stops accepting it within a second).")
        @OptionGroup var options: StoreOptions
        @Argument(help: "The key id from `gatehouse keys list`.") var id: String

        func run() async throws {
            guard try await options.withStore({ try await $0.revokeAPIKey(id: id) }) else {
                Output.error("error: no API key with id \(id)")
                throw ExitCode(CLIError.Code.notFound.rawValue)
            }
            if !options.json { Output.line("revoked \(id)") }
        }
    }
}

extension APIKeyRole: ExpressibleByArgument {}
