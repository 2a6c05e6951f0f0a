import ArgumentParser
import Foundation
import Gatehouse

/// Options every client command that sends an API key takes.
struct ClientOptions: ParsableArguments {
    @OptionGroup var server: ServerOptions

    @Option(name: .customLong("api-key"), help: "The API key (default GATEHOUSE_API_KEY, else ARCADE_API_KEY).")
    var apiKey: String?

    /// Whether to print JSON.
    var json: Bool { server.json }

    /// As `ServerOptions.baseURL()`.
    func baseURL() throws -> String? {
        try server.baseURL()
    }

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
        // A 503 (its store away, a provider that does not answer), after the SDK's retries: the
        // server cannot serve now, as when it cannot be reached; a script may try again later.
        let code: CLIError.Code = error.status == 503 ? .unavailable : error.kind == .notFound ? .notFound : .failure
        throw ExitCode(code.rawValue)
    } catch let error as GatehouseClientError {
        Output.error("error: \(error)")
        if error.isServerUnavailable { throw ExitCode(CLIError.Code.unavailable.rawValue) }
        // `auth start --wait --timeout`: the user has not finished, so authorization is still required.
        if case .timedOut = error { throw ExitCode(CLIError.Code.authorizationRequired.rawValue) }
        throw ExitCode(CLIError.Code.failure.rawValue)
    }
}
