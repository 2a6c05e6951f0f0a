import ArgumentParser
import Foundation
import Gatehouse

/// Where the server is, and the output's form: what every client command takes, `health` (which
/// needs no key) included.
struct ServerOptions: ParsableArguments {
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

    @Flag(help: "Print JSON instead of a table.")
    var json = false
}
