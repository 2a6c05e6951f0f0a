import ServiceLifecycle

/// Runs `body` every `interval` until graceful shutdown (once at once when `immediately`), the
/// loop of the background services, telling it which round it is (0 first). Shutdown
/// interrupting the sleep is a normal end.
package func runPeriodically(
    every interval: Duration, immediately: Bool, _ body: @escaping @Sendable (_ round: Int) async -> Void
) async throws {
    do {
        try await cancelWhenGracefulShutdown {
            var round = 0
            if immediately {
                await body(round)
                round += 1
            }
            while !Task.isCancelled {
                try await Task.sleep(for: interval)
                await body(round)
                round += 1
            }
        }
    } catch is CancellationError {
        // Shutdown interrupted the sleep.
    }
}
