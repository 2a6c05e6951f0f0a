import ArgumentParser
import Foundation
import Gatehouse

/// Options every client command takes.
struct ClientOptions: ParsableArguments {
    @Option(
        name: .customLong("base-url"),
        help:
            "Gatehouse's URL (default GATEHOUSE_BASE_URL, else ARCADE_BASE_URL, else http://127.0.0.1 on GATEHOUSE_PORT or 9099)."
    )
    var givenBaseURL: String?

    /// The URL given, else nil for the SDK's own default (`GATEHOUSE_BASE_URL`, `ARCADE_BASE_URL`),
    /// unless neither is set and `GATEHOUSE_PORT` is: then this host on that port. The commands
    /// run beside the server as often as not (a container's health check), where `serve` took
    /// its port from `GATEHOUSE_PORT`; checking 9099 there would call a healthy server down.
    func baseURL() throws -> String? {
        try givenBaseURL ?? Self.serverBeside(ProcessInfo.processInfo.environment)
    }

    /// This host on `GATEHOUSE_PORT`, when neither `GATEHOUSE_BASE_URL` nor `ARCADE_BASE_URL` is
    /// set and it is: the server `serve` started in this environment. A value that is no port is
    /// refused as `serve` refuses it, naming the variable.
    static func serverBeside(_ environment: [String: String]) throws -> String? {
        guard environment["GATEHOUSE_BASE_URL"] == nil, environment["ARCADE_BASE_URL"] == nil,
            let port = environment["GATEHOUSE_PORT"]
        else { return nil }
        guard let number = Int(port), (1...65535).contains(number) else {
            throw CLIError(
                message: "GATEHOUSE_PORT must be a port from 1 to 65535, not '\(port)' (without GATEHOUSE_BASE_URL or "
                    + "ARCADE_BASE_URL, it says where the server beside this command listens)",
                code: .usage)
        }
        return "http://127.0.0.1:\(number)"
    }

    @Option(name: .customLong("api-key"), help: "The API key (default GATEHOUSE_API_KEY, else ARCADE_API_KEY).")
    var apiKey: String?

    @Flag(help: "Print JSON instead of a table.")
    var json = false

    func client() throws -> GatehouseClient {
        do {
            return try GatehouseClient(apiKey: apiKey, baseURL: try baseURL())
        } catch GatehouseClientError.missingAPIKey {
            // The SDK's own words name its `apiKey:` parameter; here it is an option.
            throw CLIError(message: "no API key: pass --api-key or set ARCADE_API_KEY (or GATEHOUSE_API_KEY)", code: .usage)
        } catch {
            throw CLIError(message: "\(error)", code: .usage)
        }
    }
}

/// A failure with a message for stderr and an exit code.
struct CLIError: Error, CustomStringConvertible {
    enum Code: Int32 {
        case failure = 1
        case usage = 2
        case authorizationRequired = 3
        case notFound = 4
        case unavailable = 5
    }

    let message: String
    let code: Code

    var description: String { message }
}

/// Output helpers shared by the client commands.
enum Output {
    static func json(_ value: some Encodable) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        line(String(decoding: try encoder.encode(value), as: UTF8.self))
    }

    static func table(_ header: [String], _ rows: [[String]]) {
        let widths = header.indices.map { column in
            ([header] + rows).map { $0[column].count }.max() ?? 0
        }
        for row in [header] + rows {
            let text = zip(row, widths).map { $0.padding(toLength: $1, withPad: " ", startingAt: 0) }.joined(separator: "  ")
            line(String(text.reversed().drop { $0 == " " }.reversed()))
        }
    }

    /// A line on standard output. When its reader has gone (`gatehouse connections list | head
    /// -1`), the command ends as a writer to a closed pipe does (exit 141), where `write(_:)`
    /// used to stop the process with a crash and a backtrace; any other failure (a full disk)
    /// is said, with exit 1, so that output nobody got is not taken for output written.
    static func line(_ text: String) {
        var bytes = Array((text + "\n").utf8)[...]
        while !bytes.isEmpty {
            let written = bytes.withUnsafeBytes { write(STDOUT_FILENO, $0.baseAddress, $0.count) }
            if written > 0 {
                bytes = bytes.dropFirst(written)
            } else if written < 0, errno == EINTR {
                continue
            } else if errno == EPIPE {
                exit(141)
            } else {
                Self.error("error: cannot write the output: \(String(cString: strerror(errno)))")
                exit(1)
            }
        }
    }

    /// A line on standard error; nothing if it cannot be written.
    static func error(_ text: String) {
        try? FileHandle.standardError.write(contentsOf: Data((text + "\n").utf8))
    }
}

/// Runs a client command body, turning errors into a message and an exit code.
func runClient(_ body: () async throws -> Void) async throws {
    do {
        try await body()
    } catch let error as CLIError {
        Output.error("error: \(error.message)")
        throw ExitCode(error.code.rawValue)
    } catch let error as GatehouseAPIError {
        Output.error("error: \(error)")
        throw ExitCode(error.kind == .notFound ? CLIError.Code.notFound.rawValue : CLIError.Code.failure.rawValue)
    } catch let error as GatehouseClientError {
        Output.error("error: \(error)")
        if case .connection = error { throw ExitCode(CLIError.Code.unavailable.rawValue) }
        // `auth start --wait --timeout`: the user has not finished, so authorization is still required.
        if case .timedOut = error { throw ExitCode(CLIError.Code.authorizationRequired.rawValue) }
        throw ExitCode(CLIError.Code.failure.rawValue)
    }
}
