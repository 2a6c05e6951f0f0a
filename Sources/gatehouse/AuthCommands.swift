import ArgumentParser
import Foundation
import Gatehouse

/// `gatehouse auth`: start an authorization for a user.
struct AuthCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "auth", abstract: "Authorize users at providers.", subcommands: [AuthStartCommand.self])
}

/// `gatehouse auth start`.
struct AuthStartCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "start", abstract: "Start an authorization; print the URL the user must open.")

    @OptionGroup var options: ClientOptions
    @Option(help: "The app's user id.") var user: String
    @Option(help: "The provider id, such as google.") var provider: String
    @Option(name: .customLong("scope"), help: "A scope to request (repeat for several).") var scopes: [String] = []
    @Flag(help: "Wait until the user completes the authorization.") var wait = false
    @Flag(name: .customLong("show-token"), help: "Print the access token once completed.") var showToken = false
    @Option(help: "Give up waiting after this many seconds.") var timeout: Int?

    func run() async throws {
        try await runClient {
            let client = try options.client()
            var auth = try await client.auth.start(userID: user, provider: provider, scopes: scopes)
            if auth.status != .completed {
                if !options.json { Output.line("Open this URL to authorize:\n\n    \(auth.url ?? "(no url)")\n") }
                if wait {
                    let started = auth
                    let limit = timeout.map { Duration.seconds($0) }
                    auth = try await Spinner.while("Waiting for authorization", enabled: !options.json) {
                        try await client.auth.waitForCompletion(started, timeout: limit)
                    }
                }
            }
            var shown = auth
            if !showToken, shown.context?.token != nil { shown.context?.token = "<hidden: use --show-token>" }
            if options.json {
                try Output.json(shown)
            } else {
                Output.line(
                    "status: \(auth.status?.rawValue ?? "?")  id: \(auth.id ?? "?")  scopes: \((auth.scopes ?? []).joined(separator: " "))"
                )
                if showToken, let token = auth.context?.token { Output.line("token: \(token)") }
            }
            if auth.status != .completed, wait {
                throw CLIError(message: "the authorization did not complete", code: .authorizationRequired)
            }
        }
    }
}

/// `gatehouse token`: a fresh access token for scripts.
struct TokenCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "token",
        abstract: "Print a fresh access token for a user (exit 3 with the URL on stderr when the user must authorize).")

    @OptionGroup var options: ClientOptions
    @Option(help: "The app's user id.") var user: String
    @Option(help: "The provider id.") var provider: String
    @Option(name: .customLong("scope"), help: "A scope the token must carry (repeat for several).") var scopes: [String] = []

    func run() async throws {
        try await runClient {
            let auth = try await options.client().auth.start(userID: user, provider: provider, scopes: scopes)
            guard auth.status == .completed, let token = auth.context?.token else {
                Output.error("authorization required: open \(auth.url ?? "(no url)")")
                throw ExitCode(CLIError.Code.authorizationRequired.rawValue)
            }
            if options.json { try Output.json(["token": token, "id": auth.id ?? ""]) } else { Output.line(token) }
        }
    }
}

/// `gatehouse health`: needs no API key, as the endpoints it calls need none.
struct HealthCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "health", abstract: "Check that Gatehouse answers (no API key needed).",
        discussion: "Exits 0 when healthy, 5 when the server is unreachable or not ready.")

    @OptionGroup var options: ServerOptions

    // Taken and ignored, unlisted: health needs no key, but a check written when `--help` listed
    // the option must not start failing.
    @Option(name: .customLong("api-key"), help: .hidden)
    var unusedAPIKey: String?

    @Flag(help: "Check readiness instead (GET /v1/health/ready): the server's store answers too.")
    var ready = false

    func run() async throws {
        try await runClient {
            let health: HealthResponse
            do {
                health = try await GatehouseClient.health(ready: ready, baseURL: try options.baseURL())
            } catch let error as GatehouseClientError {
                if case .invalidBaseURL = error { throw CLIError(message: "\(error)", code: .usage) }
                throw error
            } catch let error as GatehouseAPIError {
                // Another answer than health's own (a proxy's 502 before a stopped server).
                throw CLIError(message: "not healthy: \(error)", code: .unavailable)
            }
            if options.json {
                try Output.json(health)
            } else {
                Output.line(health.healthy ? "healthy" : "not ready: \(health.reason ?? "no reason given")")
            }
            if !health.healthy { throw ExitCode(CLIError.Code.unavailable.rawValue) }
        }
    }
}
