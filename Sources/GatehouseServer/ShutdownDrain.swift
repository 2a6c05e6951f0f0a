import Foundation
import Logging
import ServiceLifecycle
import Synchronization
import UnixSignals

/// The pause between a stop signal and the listener closing (`api.shutdown_delay`). Readiness
/// answers 503 from the signal on, so that a load balancer stops sending new requests here,
/// while every request that still comes is served: a balancer acts on readiness only at its
/// next probe, and without the pause the listener closed at the signal and refused the requests
/// routed here meanwhile. Run after the application in the service group, so that it is shut
/// down first and the application's own shutdown waits for its pause. A second SIGTERM or SIGINT
/// during the pause ends it (the service group reads only the first), unless it comes within
/// `repeatedSignal` of the stop: one stop delivered twice (a wrapper that forwards the signal to
/// a process group that also gets it) is not a second request.
final class ShutdownDrain: Service, Sendable {
    private let draining = Atomic(false)
    private let delay: Duration
    private let logger: Logger

    /// A pause of `delay` (none when zero) before the application stops.
    init(delay: Duration, logger: Logger) {
        self.delay = delay
        self.logger = logger
    }

    /// How soon after the stop a second signal is taken for the same one, delivered twice.
    static let repeatedSignal: Duration = .seconds(1)

    /// Whether a stop has begun: readiness then says the server is shutting down, and every
    /// answer ends its connection.
    var isDraining: Bool { draining.load(ordering: .relaxed) }

    /// Marks the stop as begun.
    func begin() { draining.store(true, ordering: .relaxed) }

    func run() async throws {
        // Until the stop begins; a cancelled group ends this at once.
        guard (try? await gracefulShutdown()) != nil else { return }
        let stopped = ContinuousClock.now
        begin()
        guard delay > .zero else { return }
        // Trapped before the line is written: a second signal sent once it is read is seen.
        let signals = await UnixSignalsSequence(trapping: .sigterm, .sigint)
        let seconds = Double(delay.components.seconds) + Double(delay.components.attoseconds) / 1e18
        logger.notice(
            "stopping in \(String(format: "%g", seconds)) s (api.shutdown_delay): readiness answers 503 meanwhile, and requests are still served; a second signal stops now"
        )
        let cut = await withTaskGroup(of: UnixSignal?.self) { group in
            group.addTask { [delay] in
                try? await Task.sleep(for: delay)
                return nil
            }
            group.addTask {
                for await signal in signals where ContinuousClock.now - stopped >= Self.repeatedSignal { return signal }
                return nil
            }
            defer { group.cancelAll() }
            return await group.next() ?? nil
        }
        if let cut {
            logger.notice("a second signal (\(cut)): stopping now, before api.shutdown_delay ran out")
        }
    }
}
