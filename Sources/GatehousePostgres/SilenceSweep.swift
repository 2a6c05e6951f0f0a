import GatehouseWire
import Logging
import PostgresNIO
import Synchronization

/// Probes the pool's connections side by side once a statement has found its connection silent.
///
/// A database lost without a word leaves every connection open to it silent, not only the one a
/// statement just waited on; left alone, each is found by the next request that takes it, five
/// seconds and a 503 each, so with requests one at a time a pool of 20 would answer 503s for
/// about 100 s after the database was back. The sweep takes up to a pool's worth of connections
/// at once (the idle ones first, as the pool hands them out), runs `SELECT 1` on each, and
/// closes every one that has not answered within `limit`: the pool then connects again. One
/// sweep runs at a time; a statement that finds silence while one runs starts none.
final class SilenceSweep: Sendable {
    private let running = Atomic(false)
    private let client: PostgresClient
    private let connections: Int
    private let limit: Duration
    private let logger: Logger

    /// Sweeps of `client`'s pool of `connections`, each probe answered within `limit`.
    init(client: PostgresClient, connections: Int, limit: Duration, logger: Logger) {
        self.client = client
        self.connections = connections
        self.limit = limit
        self.logger = logger
    }

    /// Starts a sweep in the background unless one is running.
    func start() {
        guard running.compareExchange(expected: false, desired: true, ordering: .acquiringAndReleasing).exchanged else {
            return
        }
        logger.notice(
            "a database connection went silent: probing the pool's others side by side",
            metadata: ["connections": "\(connections)"])
        Task {
            defer { running.store(false, ordering: .releasing) }
            let closed = await withTaskGroup(of: Bool.self) { group in
                for _ in 0..<connections { group.addTask { await self.probe() } }
                return await group.reduce(0) { $0 + ($1 ? 1 : 0) }
            }
            logger.notice("the pool's probe ended", metadata: ["closed": "\(closed)"])
        }
    }

    /// One probe: true when its connection did not answer and is being closed.
    private func probe() async -> Bool {
        let (client, logger) = (client, logger)
        let lease = ConnectionLease()
        do {
            try await Deadline.run(within: limit) {
                try await client.withConnection { connection in
                    lease.hold(connection)
                    defer { lease.end() }
                    _ = try await connection.query("SELECT 1", logger: logger).collect()
                }
            }
            return false
        } catch is Deadline.Passed {
            // A probe that waited for the pool and got no connection holds none: nothing to close.
            return lease.close(ifSilentFor: .zero, saying: "a probe", after: limit, logger: logger)
        } catch {
            return false
        }
    }
}
