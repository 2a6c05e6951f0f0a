import Logging
import PostgresNIO
import Synchronization

/// The pooled connection a statement runs on, so that one the database has left silent can be
/// closed from outside: PostgresNIO's statements do not end on cancellation, only when their
/// connection fails.
final class ConnectionLease: Sendable {
    private struct State {
        var connection: PostgresConnection?
        var ended = false
    }
    private let state = Mutex(State())

    /// The statement runs on `connection`.
    func hold(_ connection: PostgresConnection) {
        state.withLock { $0.connection = connection }
    }

    /// The statement ended (answered or failed): nothing to close.
    func end() {
        state.withLock { $0.ended = true }
    }

    /// Closes the connection if the statement has not ended `limit` from now, saying that `what`
    /// (a statement, a probe) had no answer for `after` plus `limit`. Closing it fails the
    /// statement, which gives the connection back to the pool, and the pool replaces it. Returns
    /// whether the lease holds a connection whose statement has not ended yet.
    @discardableResult
    func close(ifSilentFor limit: Duration, saying what: String, after: Duration, logger: Logger) -> Bool {
        guard state.withLock({ !$0.ended && $0.connection != nil }) else { return false }
        Task {
            if limit > .zero { try? await Task.sleep(for: limit) }
            guard let connection = state.withLock({ $0.ended ? nil : $0.connection }) else { return }
            logger.warning(
                "closing a database connection that has not answered \(what) for \((after + limit).components.seconds) s; the pool connects again",
                metadata: ["connection": "\(connection.id)"])
            connection.close().whenComplete { _ in }
        }
        return true
    }
}
