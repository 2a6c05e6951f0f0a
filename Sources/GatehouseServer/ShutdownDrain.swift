import Foundation
import Logging
import ServiceLifecycle
import Synchronization

/// The pause between a stop signal and the listener closing (`api.shutdown_delay`). Readiness
/// answers 503 from the signal on, so that a load balancer stops sending new requests here,
/// while every request that still comes is served: a balancer acts on readiness only at its
/// next probe, and without the pause the listener closed at the signal and refused the requests
/// routed here meanwhile. Run after the application in the service group, so that it is shut
/// down first and the application's own shutdown waits for its pause.
final class ShutdownDrain: Service, Sendable {
    private let draining = Atomic(false)
    private let delay: Duration
    private let logger: Logger

    /// A pause of `delay` (none when zero) before the application stops.
    init(delay: Duration, logger: Logger) {
        self.delay = delay
        self.logger = logger
    }

    /// Whether a stop has begun: readiness then says the server is shutting down.
    var isDraining: Bool { draining.load(ordering: .relaxed) }

    func run() async throws {
        // Until the stop begins; a cancelled group ends this at once.
        guard (try? await gracefulShutdown()) != nil else { return }
        draining.store(true, ordering: .relaxed)
        guard delay > .zero else { return }
        let seconds = Double(delay.components.seconds) + Double(delay.components.attoseconds) / 1e18
        logger.notice(
            "stopping in \(String(format: "%g", seconds)) s (api.shutdown_delay): readiness answers 503 meanwhile, and requests are still served"
        )
        try? await Task.sleep(for: delay)
    }
}
