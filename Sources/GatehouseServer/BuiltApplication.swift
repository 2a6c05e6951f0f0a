import Hummingbird
import ServiceLifecycle

/// What the composition root made: the application, and what `serve` tells the operator once.
package struct BuiltApplication<App: ApplicationProtocol>: Sendable {
    /// The application. Run it with `runService()`: the application's own `runService` does
    /// not end parked waits when it shuts down, so a parked wait would hold the shutdown.
    package let app: App
    /// Ends every parked `status?wait` now, and every later one at once.
    let endWaits: @Sendable () -> Void
    /// The pause before the application stops (`api.shutdown_delay`).
    let drain: ShutdownDrain
    /// The admin API key, when this start created it (first start); shown once.
    package let newAPIKey: String?
    /// Warnings for the operator.
    package let warnings: [String]

    /// Runs the application until SIGTERM or SIGINT, as `Application.runService` does, and ends
    /// the parked waits as soon as the application's shutdown begins: the server waits for the
    /// requests it is answering, and a parked wait would otherwise hold it up to 59 s. The group
    /// shuts its services down last first, so `drain` pauses before the application stops.
    package func runService() async throws {
        try await ServiceGroup(
            configuration: .init(
                services: [WaitEndingService(app: app, endWaits: endWaits), drain],
                gracefulShutdownSignals: [.sigterm, .sigint], logger: app.logger)
        ).run()
    }
}

/// The application, with one shutdown handler that ends every parked wait: a handler per wait
/// cost each parked request 1.1 KB (`docs/performance.md`).
struct WaitEndingService<App: ApplicationProtocol>: Service {
    let app: App
    let endWaits: @Sendable () -> Void

    func run() async throws {
        try await withGracefulShutdownHandler {
            try await app.run()
        } onGracefulShutdown: {
            // At the level an operator runs: a stop that said nothing read like a crash.
            app.logger.notice("stopping: parked waits are answered now, and requests in flight are finished first")
            endWaits()
        }
        app.logger.notice("stopped")
    }
}
