import Synchronization

/// Runs work and answers by a deadline whatever the work does. A task group cannot promise
/// that: it waits for every child, so a driver call that ignores cancellation (a statement on a
/// connection the server has just dropped) holds the request for as long as it hangs. Here the
/// work runs in a task of its own; when the time is up the caller is answered at once and the
/// work is cancelled and left to end by itself.
package enum Deadline {
    /// The time ran out before the work answered.
    package struct Passed: Error {}

    /// `body`'s result, or `Passed` after `limit`; cancelling the caller cancels the work.
    package static func run<T: Sendable>(within limit: Duration, _ body: @escaping @Sendable () async throws -> T) async throws
        -> T
    {
        let race = Race<T>()
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                race.start(continuation, limit: limit, body)
            }
        } onCancel: {
            race.finish(.failure(CancellationError()))
        }
    }

    /// The first of the work, the timer and the caller's cancellation to finish answers.
    private final class Race<T: Sendable>: Sendable {
        private struct State {
            var continuation: CheckedContinuation<T, any Error>?
            var result: Result<T, any Error>?
            var tasks: [Task<Void, Never>] = []
        }
        private let state = Mutex(State())

        func start(
            _ continuation: CheckedContinuation<T, any Error>, limit: Duration, _ body: @escaping @Sendable () async throws -> T
        ) {
            // Cancelled before it began: answer now.
            if let early = state.withLock({ $0.result }) {
                continuation.resume(with: early)
                return
            }
            state.withLock { $0.continuation = continuation }
            let work = Task {
                do { self.finish(.success(try await body())) } catch { self.finish(.failure(error)) }
            }
            let timer = Task {
                try? await Task.sleep(for: limit)
                self.finish(.failure(Passed()))
            }
            let finished = state.withLock { state in
                state.tasks = [work, timer]
                return state.result != nil
            }
            if finished { [work, timer].forEach { $0.cancel() } }
        }

        func finish(_ result: Result<T, any Error>) {
            let (continuation, tasks) = state.withLock { state -> (CheckedContinuation<T, any Error>?, [Task<Void, Never>]) in
                guard state.result == nil else { return (nil, []) }
                state.result = result
                defer { state.continuation = nil }
                return (state.continuation, state.tasks)
            }
            tasks.forEach { $0.cancel() }
            continuation?.resume(with: result)
        }
    }
}
