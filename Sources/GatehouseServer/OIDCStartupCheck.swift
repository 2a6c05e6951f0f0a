import GatehouseOIDC
import Logging
import ServiceLifecycle

/// At start, reads the app's OpenID Provider's discovery document and keys once and says in the
/// log whether sign-ins can work: a wrong issuer, an unreachable provider or a key set without a
/// usable key then shows when the server starts, not when the first person signs in. The server
/// serves either way (the provider may be back by then); each sign-in reads what it needs itself.
struct OIDCStartupCheck: Service {
    let verifier: OIDCVerifier
    let issuer: String
    let logger: Logger

    func run() async throws {
        await check()
        // A service that returns would end the server.
        try? await gracefulShutdown()
    }

    /// Reads discovery and keys once and logs the outcome.
    func check() async {
        do {
            try await verifier.check()
            logger.info(
                "user verification: the app's sign-in at its OpenID Provider; discovery and keys read",
                metadata: ["issuer": "\(issuer)"])
        } catch {
            logger.error(
                "user verification: the app's OpenID Provider cannot be used yet, and sign-ins fail until it can",
                metadata: ["issuer": "\(issuer)", "reason": "\(error)"])
        }
    }
}
