import GatehouseWire
import Logging
import PostgresNIO
import Synchronization

/// Probes the pool's connections side by side once a statement's connection was closed for
/// silence.
///
/// A database lost without a word leaves every connection open to it silent, not only the one a
/// statement waited on; left alone, each is found by the next request that takes it, 10 s and a
/// 503 each, so with requests one at a time a pool of 20 would answer 503s for minutes after the
/// database was back. The sweep asks the pool for up to a pool's worth of connections at once
/// (it hands out the idle ones first, and opens new ones up to `pool_size` for the rest, which
/// the pool closes again after a minute idle), runs `SELECT 1` on each, and closes every one that
/// has not answered within `limit` of being handed over: the pool then connects again. One sweep
/// at a time, and none within `spacing` of the last one's start.
final class SilenceSweep: Sendable {
    private let started = Mutex<(running: Bool, last: ContinuousClock.Instant?)>((false, nil))
    private let pool: PooledConnections
    private let connections: Int
    private let limit: Duration
    private let spacing: Duration
    private let logger: Logger

    /// Sweeps of `pool`'s `connections`, each probe answered within `limit`, at most
    /// one per `spacing`.
    init(pool: PooledConnections, connections: Int, limit: Duration, spacing: Duration = .seconds(30), logger: Logger) {
        self.pool = pool
        self.connections = connections
        self.limit = limit
        self.spacing = spacing
        self.logger = logger
    }

    /// Starts a sweep in the background unless one is running or began within `spacing`.
    func start() {
        let now = ContinuousClock.now
        let starting = started.withLock { started in
            guard !started.running, started.last.map({ now - $0 >= spacing }) ?? true else { return false }
            started = (true, now)
            return true
        }
        guard starting else { return }
        // Detached: the sweep is no request's, and its lines carry no request's id.
        Task.detached { [self] in
            logger.notice(
                "a database connection went silent: probing the pool's others side by side",
                metadata: ["connections": "\(connections)"])
            let ends = await withTaskGroup(of: ProbeEnd.self) { group in
                for _ in 0..<connections { group.addTask { await self.probe() } }
                return await group.reduce(into: [ProbeEnd: Int]()) { $0[$1, default: 0] += 1 }
            }
            // Probes that got no connection tested none: said apart, so that a database silent
            // to every connection attempt does not read as a pool with nothing silent in it.
            logger.notice(
                "the pool's probe ended",
                metadata: [
                    "silent": "\(ends[.silent, default: 0])", "answered": "\(ends[.answered, default: 0])",
                    "failed": "\(ends[.failed, default: 0])", "no_connection": "\(ends[.noConnection, default: 0])",
                ])
            started.withLock { $0.running = false }
        }
    }

    /// How a probe ended.
    enum ProbeEnd: Hashable {
        /// Its connection answered.
        case answered
        /// Its connection did not answer within `limit` of being handed over, and was closed.
        case silent
        /// Its connection failed otherwise (closed by the database, say).
        case failed
        /// The pool handed it no connection in time.
        case noConnection
    }

    /// One probe. The wait for a connection is bounded too (by `limit` more), but is not
    /// counted as silence.
    private func probe() async -> ProbeEnd {
        let (pool, logger, limit) = (pool, logger, limit)
        let lease = ConnectionLease()
        do {
            try await Deadline.run(within: limit + limit) {
                try await pool.withConnection { connection in
                    lease.hold(connection)
                    lease.close(whenSilentFor: limit, saying: "a probe", logger: logger)
                    defer { lease.end() }
                    _ = try await connection.query("SELECT 1", logger: logger).collect()
                }
            }
            return .answered
        } catch {
            // Closed for silence (its query then fails), or handed a connection late and still
            // waiting when the time ran out: the close comes within `limit`.
            if !lease.closedForSilence, lease.running != nil { try? await Task.sleep(for: limit) }
            return lease.closedForSilence ? .silent : lease.wasHeld ? .failed : .noConnection
        }
    }
}
