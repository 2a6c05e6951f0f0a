import ArgumentParser
import Foundation
import Gatehouse

/// Where the server is, and the output's form: what every client command takes, `health` (which
/// needs no key) included.
struct ServerOptions: ParsableArguments {
    @Option(
        name: .customLong("base-url"),
        help:
            "Gatehouse's URL (default GATEHOUSE_BASE_URL, else ARCADE_BASE_URL, else GATEHOUSE_HOST (loopback for 0.0.0.0 or ::) on GATEHOUSE_PORT or 9099)."
    )
    var givenBaseURL: String?

    /// The URL given, else nil for the SDK's own default (`GATEHOUSE_BASE_URL`, `ARCADE_BASE_URL`),
    /// unless neither is set and `GATEHOUSE_PORT` or `GATEHOUSE_HOST` is: then the server those
    /// place. The commands run beside the server as often as not (a container's health check),
    /// where `serve` took its address from them; checking 127.0.0.1:9099 there would call a
    /// healthy server down.
    func baseURL() throws -> String? {
        try givenBaseURL ?? Self.serverBeside(ProcessInfo.processInfo.environment)
    }

    /// The server `serve` would start in this environment, when neither `GATEHOUSE_BASE_URL` nor
    /// `ARCADE_BASE_URL` is set and `GATEHOUSE_PORT` or `GATEHOUSE_HOST` is: its port (9099 unless
    /// told), on its host (`reachableHost`). A value that is no port is refused as `serve` refuses
    /// it, naming the variable.
    static func serverBeside(_ environment: [String: String]) throws -> String? {
        guard environment["GATEHOUSE_BASE_URL"] == nil, environment["ARCADE_BASE_URL"] == nil,
            environment["GATEHOUSE_PORT"] != nil || environment["GATEHOUSE_HOST"] != nil
        else { return nil }
        var number = 9099
        if let port = environment["GATEHOUSE_PORT"] {
            guard let given = Int(port), (1...65535).contains(given) else {
                throw CLIError(
                    message: "GATEHOUSE_PORT must be a port from 1 to 65535, not '\(port)' (without GATEHOUSE_BASE_URL or "
                        + "ARCADE_BASE_URL, it says where the server beside this command listens)",
                    code: .usage)
            }
            number = given
        }
        return "http://\(reachableHost(environment["GATEHOUSE_HOST"])):\(number)"
    }

    /// Where a server listening on `host` answers: on that address, or on the loopback address
    /// of its family when it listens on every address (127.0.0.1 when none is named).
    static func reachableHost(_ host: String?) -> String {
        let host = host?.trimmingCharacters(in: .whitespaces) ?? ""
        if host.isEmpty || host == "0.0.0.0" { return "127.0.0.1" }
        if host == "::" || host == "[::]" { return "[::1]" }
        return host.contains(":") && !host.hasPrefix("[") ? "[\(host)]" : host
    }

    @Flag(help: "Print JSON instead of a table.")
    var json = false
}
