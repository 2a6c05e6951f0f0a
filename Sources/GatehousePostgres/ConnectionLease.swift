import Logging
import PostgresNIO
import Synchronization

/// The pooled connection a statement runs on, so that one the database has left silent can be
/// closed from outside: PostgresNIO's statements do not end on cancellation, only when their
/// connection fails.
final class ConnectionLease: Sendable {
    private struct State {
        var connection: PostgresConnection?
        var heldAt: ContinuousClock.Instant?
        var ended = false
        var closed = false
    }
    private let state = Mutex(State())

    /// The statement runs on `connection`, from now.
    func hold(_ connection: PostgresConnection) {
        state.withLock {
            $0.connection = connection
            $0.heldAt = .now
        }
    }

    /// How long the statement has run on its connection, while it has not ended.
    var running: Duration? {
        state.withLock { state in state.ended ? nil : state.heldAt.map { .now - $0 } }
    }

    /// Whether the pool handed the statement a connection at all.
    var wasHeld: Bool { state.withLock { $0.heldAt != nil } }

    /// Whether `close(whenSilentFor:)` closed the connection.
    var closedForSilence: Bool { state.withLock { $0.closed } }

    /// The statement ended (answered or failed): nothing to close.
    func end() {
        state.withLock { $0.ended = true }
    }

    /// Closes the connection once `what` (a statement, a probe) has run on it for `limit`
    /// without an answer, counted from when the connection was held: time spent waiting for the
    /// pool is not silence. Closing it fails the statement, which gives the connection back to
    /// the pool, and the pool replaces it; `onClose` runs then. Returns whether the lease holds a
    /// connection whose statement has not ended yet.
    @discardableResult
    func close(
        whenSilentFor limit: Duration, saying what: String, logger: Logger, onClose: @escaping @Sendable () -> Void = {}
    ) -> Bool {
        guard let heldAt = state.withLock({ $0.ended ? nil : $0.heldAt }) else { return false }
        Task {
            try? await Task.sleep(until: heldAt + limit, clock: .continuous)
            let silent: PostgresConnection? = state.withLock { state in
                guard !state.ended, let connection = state.connection else { return nil }
                state.closed = true
                return connection
            }
            guard let connection = silent else { return }
            logger.warning(
                "closing a database connection that has not answered \(what) for \(limit.components.seconds) s; the pool connects again",
                metadata: ["connection": "\(connection.id)"])
            connection.close().whenComplete { _ in }
            onClose()
        }
        return true
    }
}
