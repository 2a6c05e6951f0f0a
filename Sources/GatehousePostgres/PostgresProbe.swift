import Logging
import NIOCore
import NIOSSL
import PostgresNIO

/// One connection opened directly before a start uses the database, to say why it cannot be
/// used. The pool tries a refused connection again and again, so a wrong role, a database that
/// does not exist or TLS the server does not offer all read as "no answer within 15 s", with
/// the reason only in an info line of the log.
package enum PostgresProbe {
    /// Connects (and closes), trying again while the server may still come up (refused, starting
    /// up, too many connections) until `limit`; a refusal no retry mends fails at once.
    package static func check(_ settings: PostgresSettings, logger: Logger, within limit: Duration) async throws {
        let deadline = ContinuousClock.now + limit
        var said: String?
        while true {
            let attempt = ContinuousClock.now
            // Each attempt ends by the deadline (PostgresNIO's own connect timeout is 10 s).
            let milliseconds = Int64((deadline - attempt) / .milliseconds(1))
            do {
                var configuration = try settings.connectionConfiguration()
                configuration.options.connectTimeout = .milliseconds(max(100, min(10_000, milliseconds)))
                let connection = try await PostgresConnection.connect(configuration: configuration, id: 0, logger: logger)
                try? await connection.close()
                return
            } catch let error as PSQLError {
                let (reason, permanent) = describe(error, settings: settings)
                if permanent { throw PostgresSettingsError(reason: reason) }
                // An attempt whose time the deadline cut short, and that timed out, says less
                // than the one before it (a refusal, on a loaded machine): that one is said.
                if said == nil || !(Self.timedOut(error) && milliseconds < 10_000) { said = reason }
                guard ContinuousClock.now + .milliseconds(500) < deadline else {
                    throw PostgresSettingsError(
                        reason: "no connection within \(limit.components.seconds) s: \(said ?? reason)")
                }
            }
            // At most one attempt each half second.
            try await Task.sleep(until: attempt + .milliseconds(500))
        }
    }

    static func timedOut(_ error: PSQLError) -> Bool {
        if case .connectTimeout? = error.underlying as? ChannelError { return true }
        return false
    }

    /// What went wrong, for the operator, and whether trying again can mend it.
    static func describe(_ error: PSQLError, settings: PostgresSettings) -> (String, permanent: Bool) {
        if let refusal = certificateRefusal(error, settings: settings) { return (refusal, true) }
        switch error.code {
        case .server:
            let message = error.serverInfo?[.message] ?? "no message"
            let state = error.serverInfo?[.sqlState] ?? "?"
            // Authorization (28), a database that does not exist (3D000), no privilege to
            // connect (42501): the settings are wrong, not the moment.
            let permanent = state.hasPrefix("28") || state == "3D000" || state == "42501"
            return ("the server refused: \(message) (SQLSTATE \(state))", permanent)
        case .sslUnsupported:
            return ("the server does not offer TLS, which sslmode=\(settings.tls.rawValue) requires", true)
        case .unsupportedAuthMechanism, .authMechanismRequiresPassword, .saslError:
            return ("authentication failed: \(error.code)", true)
        case .connectionError:
            let underlying = error.underlying.map { String(describing: $0) } ?? ""
            let refused = underlying.contains("Connection refused") || underlying.contains("errno: 111")
            return (
                refused
                    ? "connection refused at \(settings.host):\(settings.port)"
                    : "cannot connect to \(settings.host):\(settings.port): \(underlying.prefix(200))",
                false
            )
        default:
            return ("\(error.code)", false)
        }
    }

    /// A server certificate the TLS mode did not accept: no retry mends it.
    static func certificateRefusal(_ error: PSQLError, settings: PostgresSettings) -> String? {
        let mode = "sslmode=\(settings.tls.rawValue)"
        switch error.underlying {
        case let extra as NIOSSLExtraError where extra == .failedToValidateHostname:
            return "the server's certificate does not name \(settings.host) (\(mode) checks the name): connect by a name it holds"
        case .handshakeFailed(let failure) as NIOSSLError:
            guard "\(failure)".contains("CERTIFICATE_VERIFY_FAILED") else {
                return "the TLS handshake failed (\(mode)): \(String(describing: failure).prefix(200))"
            }
            let roots = settings.rootCertificates.flatMap { $0 == "system" ? nil : "sslrootcert \($0)" }
            return "the server's certificate is not signed by a CA in \(roots ?? "the system's trust store") (\(mode))"
        default:
            return nil
        }
    }
}
