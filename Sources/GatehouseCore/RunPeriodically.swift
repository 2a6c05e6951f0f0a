import ServiceLifecycle

/// Runs `body` every `interval` until graceful shutdown (once at once when `immediately`), the
/// loop of the background services. Shutdown interrupting the sleep is a normal end.
package func runPeriodically(
    every interval: Duration, immediately: Bool, _ body: @escaping @Sendable () async -> Void
) async throws {
    do {
        try await cancelWhenGracefulShutdown {
            if immediately { await body() }
            while !Task.isCancelled {
                try await Task.sleep(for: interval)
                await body()
            }
        }
    } catch is CancellationError {
        // Shutdown interrupted the sleep.
    }
}
