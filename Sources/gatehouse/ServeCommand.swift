import ArgumentParser
import Foundation
import GatehouseCore
import GatehouseServer
import Hummingbird
import Logging

/// `gatehouse serve`: runs the engine.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Run the Gatehouse engine (embedded SQLite store unless configured otherwise).")

    @Option(name: .shortAndLong, help: "A config file in the shape of Arcade's engine.yaml.")
    var config: String?

    @Option(help: "The address to listen on (default 127.0.0.1, or GATEHOUSE_HOST).")
    var host: String?

    @Option(help: "The port to listen on (default 9099, or GATEHOUSE_PORT).")
    var port: Int?

    @Option(
        name: .customLong("data-dir"), help: "Where the SQLite file and root key live (default ./.gatehouse, or GATEHOUSE_HOME).")
    var dataDirectory: String?

    @Option(
        name: .customLong("log-level"),
        help: "trace, debug, info, notice, warning, error or critical (default info, log.level, or GATEHOUSE_LOG_LEVEL).")
    var logLevel: String?

    @Option(name: .customLong("log-format"), help: "text (logfmt) or json (default text, log.format, or GATEHOUSE_LOG_FORMAT).")
    var logFormat: String?

    func run() async throws {
        var configuration: GatehouseConfiguration
        do {
            configuration = try ConfigurationLoader.load(
                path: config, environment: ProcessInfo.processInfo.environment,
                overrides: (host, port, dataDirectory))
        } catch {
            throw Self.refusal("invalid configuration: \(error)")
        }
        if let logLevel {
            guard let level = Logger.Level(rawValue: logLevel) else {
                throw Self.refusal(
                    "--log-level must be one of \(Logger.Level.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            configuration.logLevel = level
        }
        if let logFormat {
            guard let format = LineLogHandler.Format(rawValue: logFormat) else {
                throw Self.refusal("--log-format must be text or json")
            }
            configuration.logFormat = format
        }
        if configuration.logLevel > .notice {
            // On standard error as it is: at `error` a logged warning would be left out too.
            Output.error(
                "gatehouse: warning: log.level \(configuration.logLevel) leaves out the audit trail, whose lines are at notice (docs/operations.md, \"Logs\")"
            )
        }
        let (format, level) = (configuration.logFormat, configuration.logLevel)
        LoggingSystem.bootstrap(
            { label, provider in
                var handler = LineLogHandler(label: label, format: format, metadataProvider: provider)
                handler.logLevel = level
                return handler
            }, metadataProvider: RequestCorrelation.metadataProvider)
        let logger = Logger(label: "gatehouse")
        do {
            try ListenCheck.verify(host: configuration.host, port: configuration.port)
        } catch let error as ConfigurationError {
            throw Self.refusal("cannot start: \(error)")
        }
        // Before anything opens the store: a refused start leaves the other process's file alone.
        let lock = configuration.postgres == nil ? try ServeLock.acquire(beside: configuration.databasePath) : nil
        do {
            let data = configuration.postgres == nil ? "data in \(configuration.databasePath)" : "data in PostgreSQL"
            let listening =
                "Gatehouse \(GatehouseVersion.release) listening on http://\(configuration.host):\(configuration.port) (\(data))"
            let publicURL = configuration.effectivePublicURL
            let built = try await buildApplication(
                configuration: configuration, logger: logger, onListening: { Self.say(listening) },
                onNewAPIKey: { try Self.announce(key: $0, publicURL: publicURL) })
            try await run(built: built, configuration, logger)
        } catch let error as ConfigurationError {
            lock?.withdraw()
            throw Self.refusal("cannot start: \(error)")
        }
    }

    /// A configuration the server cannot start with: said on stderr, exit 2, without the usage
    /// text a mistyped option gets.
    static func refusal(_ message: String) -> ExitCode {
        Output.error("gatehouse: \(message)")
        return ExitCode(CLIError.Code.usage.rawValue)
    }

    private func run(built: BuiltApplication<some ApplicationProtocol>, _ configuration: GatehouseConfiguration, _ logger: Logger)
        async throws
    {
        for warning in configuration.warnings + built.warnings { logger.warning("\(warning)") }
        // Buffered request lines reach the log before the process ends.
        defer { LineOutput.standardError.flush() }
        do {
            try await built.runService()
        } catch {
            // The port taken between the start's check and the bind: exit 2, as the check says.
            if let refusal = ListenCheck.bindFailure(error, host: configuration.host, port: configuration.port) {
                throw refusal
            }
            throw error
        }
    }

    /// The first admin key, said before it is stored (`APIKeyService.create`): a stop in between
    /// must not leave a stored key that was never shown, and a key that could not be written out
    /// is not stored (the start fails, and the next one makes another).
    private static func announce(key: String, publicURL: String) throws {
        try FileHandle.standardOutput.write(
            contentsOf: Data(
                """
                Gatehouse created an admin API key. It is shown only this once; store it now:

                    export ARCADE_API_KEY=\(key)
                    export ARCADE_BASE_URL=\(publicURL)


                """.utf8))
    }

    /// Writes a line to standard output at once (unbuffered), so scripts reading a pipe see it.
    private static func say(_ text: String) {
        try? FileHandle.standardOutput.write(contentsOf: Data((text + "\n").utf8))
    }
}
