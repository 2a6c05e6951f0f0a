import ArgumentParser
import Foundation
import Gatehouse
import GatehouseCore
import GatehouseServer

/// `gatehouse connections`.
struct ConnectionsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "connections", abstract: "List or delete users' stored grants.",
        subcommands: [List.self, Delete.self])

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List connections.")
        @OptionGroup var options: ClientOptions
        @Option(help: "Only this user's.") var user: String?
        @Option(help: "Only this provider's.") var provider: String?

        func run() async throws {
            try await runClient {
                var items: [UserConnection] = []
                for try await item in try options.client().admin.userConnections.all(userID: user, providerID: provider) {
                    items.append(item)
                }
                if options.json { return try Output.json(items) }
                Output.table(
                    ["ID", "USER", "PROVIDER", "STATUS", "SCOPES"],
                    items.map { [$0.id, $0.userID, $0.providerID, $0.connectionStatus, $0.scopes.joined(separator: " ")] })
            }
        }
    }

    struct Delete: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Delete a connection (the user must authorize again); revoked at the provider when its template says how.")
        @OptionGroup var options: ClientOptions
        @Argument(help: "The connection id.") var id: String

        func run() async throws {
            try await runClient {
                try await options.client().admin.userConnections.delete(id: id)
                if !options.json { Output.line("deleted \(id)") }
            }
        }
    }
}

/// `gatehouse providers`.
struct ProvidersCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "providers", abstract: "Manage auth providers.",
        subcommands: [List.self, Get.self, Add.self, Remove.self, Catalog.self])

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List providers.")
        @OptionGroup var options: ClientOptions

        func run() async throws {
            try await runClient {
                let items = try await options.client().admin.authProviders.list()
                if options.json { return try Output.json(items) }
                Output.table(
                    ["ID", "TYPE", "STATUS", "BINDING", "REDIRECT URI"],
                    items.map {
                        [
                            $0.id, $0.providerID.isEmpty ? "custom" : $0.providerID, $0.status, $0.binding.type,
                            $0.oauth2.redirectURI,
                        ]
                    })
            }
        }
    }

    struct Get: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show one provider as JSON.")
        @OptionGroup var options: ClientOptions
        @Argument(help: "The provider id.") var id: String

        func run() async throws {
            try await runClient { try Output.json(try await options.client().admin.authProviders.get(id: id)) }
        }
    }

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract:
                "Add a provider from a YAML or JSON file: one auth.providers entry, read as the config file reads it (${env:NAME} and ${file:path} expand)."
        )
        @OptionGroup var options: ClientOptions
        @Option(name: .shortAndLong, help: "The file.") var file: String

        func run() async throws {
            try await runClient {
                let text: String
                do { text = try String(contentsOfFile: file, encoding: .utf8) } catch {
                    throw CLIError(message: "cannot read \(file)", code: .usage)
                }
                let request: AuthProviderRequest
                do {
                    let object = try ConfigurationLoader.providerEntry(
                        file: file, text: text, environment: ProcessInfo.processInfo.environment)
                    request = try JSONDecoder().decode(
                        AuthProviderRequest.self, from: JSONSerialization.data(withJSONObject: object))
                } catch let error as ConfigurationError {
                    throw CLIError(message: error.description, code: .usage)
                } catch {
                    throw CLIError(message: "\(file) is not a provider definition: \(error)", code: .usage)
                }
                let created: AuthProviderResponse
                do {
                    created = try await options.client().admin.authProviders.create(request)
                } catch let error as GatehouseAPIError where error.kind == .conflict {
                    // Removing it and adding it again would delete its users' connections.
                    throw CLIError(
                        message:
                            "\(error); to change it, edit it in the dashboard (/dashboard/providers) or send the fields that change to PATCH /v1/admin/auth_providers/\(request.id ?? "ID")",
                        code: .failure)
                }
                if options.json { return try Output.json(created) }
                Output.line("added \(created.id); register this redirect URI at the provider:\n    \(created.oauth2.redirectURI)")
            }
        }
    }

    struct Catalog: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List the built-in provider templates, with the redirect URI to register at each provider.")
        @Option(
            name: .customLong("public-url"),
            help:
                "Gatehouse's public URL, its api.public_url (default GATEHOUSE_PUBLIC_URL, else the server's address as other commands reach it: GATEHOUSE_BASE_URL, ARCADE_BASE_URL, or GATEHOUSE_HOST (loopback for 0.0.0.0 or ::) on GATEHOUSE_PORT or 9099)."
        )
        var publicURL: String?
        @Flag(help: "Print JSON instead of a table.") var json = false

        struct Item: Encodable {
            let id: String
            let description: String
            let docs: String?
            let redirectURI: String
            let tenant: String?
            let quirks: String?

            enum CodingKeys: String, CodingKey {
                case id, description, docs, tenant, quirks
                case redirectURI = "redirect_uri"
            }
        }

        func run() async throws {
            // The public URL the server is given (the variable `serve` reads); else the address
            // other commands reach the server at, which may not be where providers send browsers.
            let base: String
            let environment = ProcessInfo.processInfo.environment
            let given = publicURL ?? environment["GATEHOUSE_PUBLIC_URL"]
            do {
                base = try GatehouseClient.baseURL(given ?? ServerOptions.serverBeside(environment), environment: environment)
            } catch {
                Output.error("error: \(error)")
                throw ExitCode(CLIError.Code.usage.rawValue)
            }
            if given == nil {
                Output.error(
                    "note: redirect URIs built from \(base), the address this command reaches the server at; if the server's "
                        + "api.public_url is another, pass it with --public-url or GATEHOUSE_PUBLIC_URL")
            }
            let items = BuiltInProviders.catalog.entries.values.sorted { $0.id < $1.id }.map {
                Item(
                    id: $0.id, description: $0.description, docs: $0.docsURL,
                    redirectURI: BrokerSettings.redirectURI(publicURL: base, providerID: $0.id), tenant: $0.tenant?.placeholder,
                    quirks: $0.quirks)
            }
            if json { return try Output.json(items) }
            Output.table(["ID", "REDIRECT URI", "DOCS"], items.map { [$0.id, $0.redirectURI, $0.docs ?? ""] })
        }
    }

    struct Remove: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Remove a provider.")
        @OptionGroup var options: ClientOptions
        @Argument(help: "The provider id.") var id: String

        func run() async throws {
            try await runClient {
                try await options.client().admin.authProviders.delete(id: id)
                if !options.json { Output.line("removed \(id)") }
            }
        }
    }
}
