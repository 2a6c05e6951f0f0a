import Foundation
import GatehouseCore
import GatehouseWire
import Logging
import PostgresNIO
import _ConnectionPoolModule

/// The store on PostgreSQL: every operation one statement (or one transaction) over the pool,
/// so any number of replicas can share the database. Queries are interpolated, so every value
/// is a bound parameter.
package final class PostgresStore: Store {
    let client: PostgresClient
    let logger: Logger
    let leaseClock: LeaseClock
    let telemetry: Telemetry
    /// The warnings of a database that cannot serve, at a bounded rate.
    let trouble = BoundedLog<Telemetry.StoreTrouble>()
    /// Finds the pool's other silent connections once a statement has found one.
    let silenceSweep: SilenceSweep
    /// The pool as the store uses it: every statement's connection comes through it.
    let pool: PooledConnections

    /// A store over a client that runs (or will run) in the application's service group, with
    /// refresh leases measured on `leaseClock` (the database's, but in tests that move time),
    /// counting the statements the database failed in `telemetry`; `poolSize` is the pool's
    /// (`PostgresSettings.poolSize`), which a sweep of silent connections probes.
    package init(
        client: PostgresClient, logger: Logger, leaseClock: LeaseClock = .database, telemetry: Telemetry = .none,
        poolSize: Int = PostgresSettings.defaultPoolSize
    ) {
        self.client = client
        self.logger = logger
        self.leaseClock = leaseClock
        self.telemetry = telemetry
        self.pool = PooledConnections(client: client, logger: logger)
        self.silenceSweep = SilenceSweep(pool: pool, connections: poolSize, limit: Self.queryTimeout, logger: logger)
    }

    /// A statement the database failed: counted each time, said at a bounded rate.
    func troubled(_ kind: Telemetry.StoreTrouble, _ message: Logger.Message, metadata: Logger.Metadata = [:]) {
        telemetry.storeFailed(kind)
        trouble.log(kind, message, metadata: metadata, logger: logger)
    }

    /// Runs a statement and reads every row. A server that does not answer within
    /// `queryTimeout`, or a connection that fails, is `storeUnavailable` (503), not a hang.
    func rows(_ query: PostgresQuery) async throws -> [PostgresRandomAccessRow] {
        let logger = logger
        return try await withinDeadline { connection in
            var rows: [PostgresRandomAccessRow] = []
            for try await row in try await connection.query(query, logger: logger) {
                rows.append(row.makeRandomAccess())
            }
            return rows
        }
    }

    /// Runs `body` in one transaction (rolled back when it throws), under the same deadline and
    /// with the same errors as one statement; `body` runs its statements through the function it
    /// is given. A `COMMIT` whose answer was lost with the connection may have committed: it is
    /// `storeUnavailable`, or `CommitAnswerLost` for a caller that can find out (`reportingLostCommit`).
    func inTransaction<T: Sendable>(
        reportingLostCommit: Bool = false,
        _ body: @escaping @Sendable (_ run: (PostgresQuery) async throws -> [PostgresRandomAccessRow]) async throws -> T
    ) async throws -> T {
        do {
            return try await transaction(body)
        } catch let lost as CommitAnswerLost where !reportingLostCommit {
            throw unavailable(after: lost)
        }
    }

    /// The 503 for a commit whose answer was lost, logged and counted as an unreachable
    /// database is.
    func unavailable(after lost: CommitAnswerLost) -> GatehouseError {
        troubled(.unreachable, "database unreachable at a commit", metadata: ["error": "\(lost.error.code)"])
        return GatehouseError(.storeUnavailable, "the database cannot be reached; try again shortly")
    }

    private func transaction<T: Sendable>(
        _ body: @escaping @Sendable (_ run: (PostgresQuery) async throws -> [PostgresRandomAccessRow]) async throws -> T
    ) async throws -> T {
        let logger = logger
        return try await withinDeadline { connection in
            do {
                return try await connection.withTransaction(logger: logger) { connection in
                    try await body { query in
                        var rows: [PostgresRandomAccessRow] = []
                        for try await row in try await connection.query(query, logger: logger) {
                            rows.append(row.makeRandomAccess())
                        }
                        return rows
                    }
                }
            } catch let error as PostgresTransactionError {
                if let commit = error.commitError as? PSQLError, Self.isUnavailable(commit) {
                    throw CommitAnswerLost(error: commit)
                }
                // What went wrong inside, so a lost server is still `storeUnavailable`.
                throw error.closureError ?? error.beginError ?? error.commitError ?? error
            }
        }
    }

    /// Runs `work` on a pooled connection within `queryTimeout`. A connection whose statement
    /// has run `silenceLimit` longer than that (counted from when the pool handed it over) is
    /// closed, and the pool's others are then probed (`SilenceSweep`): a
    /// database lost without a word (a host that died, a partition, a failover behind a virtual
    /// address) leaves its connections waiting for an answer until the operating system gives
    /// up, about 15 minutes, and each of them held its place in the pool meanwhile, so the
    /// replica stayed unavailable long after the database was back. Closed, it gives its place
    /// back and the pool connects again.
    private func withinDeadline<T: Sendable>(
        _ work: @escaping @Sendable (PostgresConnection) async throws -> T
    ) async throws -> T {
        let pool = pool
        let lease = ConnectionLease()
        do {
            return try await Deadline.run(within: Self.queryTimeout) {
                try await pool.withConnection { connection in
                    lease.hold(connection)
                    defer { lease.end() }
                    return try await work(connection)
                }
            }
        } catch is Deadline.Passed where !lease.wasHeld && pool.inUse == 0 {
            // Not a slow statement: none was running, and the pool gave this one no connection
            // (it could open none: the database is down, or refuses more).
            troubled(
                .unreachable,
                "database unreachable: no connection could be had within \(Self.queryTimeout.components.seconds) s (the pool's own log says why it could open none)"
            )
            throw GatehouseError(.storeUnavailable, "the database cannot be reached; try again shortly")
        } catch is Deadline.Passed {
            troubled(.noAnswer, "a database statement had no answer within \(Self.queryTimeout.components.seconds) s")
            // A statement that had its connection for most of its time, not one that waited for
            // a busy pool, makes the pool's others suspect at once; any closed for silence does.
            if let running = lease.running, running >= Self.queryTimeout * 0.8 { silenceSweep.start() }
            let sweep = silenceSweep
            lease.close(
                whenSilentFor: Self.queryTimeout + Self.silenceLimit, saying: "a statement", logger: logger,
                onClose: { sweep.start() })
            throw Self.noAnswerInTime
        } catch let error as PSQLError where Self.isUnavailable(error) {
            let state = error.serverInfo?[.sqlState]
            troubled(.unreachable, "database unreachable", metadata: ["error": "\(error.code)", "sqlstate": "\(state ?? "-")"])
            throw GatehouseError(
                .storeUnavailable,
                state == "25006"
                    ? "the database takes no writes (a read-only standby?); try again shortly"
                    : "the database cannot be reached; try again shortly")
        } catch let error as ConnectionPoolError where error != .requestCancelled {
            // After failed attempts to connect the pool refuses at once for a while (its circuit
            // breaker), and refuses everything while it shuts down: the database cannot serve, a 503.
            troubled(.unreachable, "database unreachable", metadata: ["error": "\(error)"])
            throw GatehouseError(.storeUnavailable, "the database cannot be reached; try again shortly")
        }
    }

    /// Whether an error says the database cannot serve now, rather than that the statement is
    /// wrong: no server answer at all (the connection could not be made or was lost), or the
    /// server's own word that it is going away or cannot take the work (SQLSTATE classes 08
    /// connection exception, 53 insufficient resources, 57 operator intervention, which covers
    /// the `57P01` every session gets from a restart and the `57P03` of one starting up; 58
    /// system error, an I/O error on the server's disk), a read-only transaction (`25006`: a
    /// standby, as a failover leaves a replica pointed at one) or damaged data (`XX001`,
    /// `XX002`).
    static func isUnavailable(_ error: PSQLError) -> Bool {
        guard let state = error.serverInfo?[.sqlState] else { return true }
        return ["08", "53", "57", "58"].contains(state.prefix(2)) || ["25006", "XX001", "XX002"].contains(state)
    }

    /// How long one statement may take before the request gets a 503.
    static let queryTimeout: Duration = .seconds(5)
    /// The 503 of a statement that took longer.
    static let noAnswerInTime = GatehouseError(.storeUnavailable, "the database did not answer in time; try again shortly")
    /// How much longer than `queryTimeout` a statement may run on its connection before the
    /// connection is closed: a database that is only slow has answered by then.
    static let silenceLimit: Duration = .seconds(5)

    /// A session advisory lock per job name, held on one pooled connection while `body` runs:
    /// a replica that dies drops its connection, and with it the lock.
    package func runExclusively(_ job: String, _ body: @Sendable () async throws -> Void) async throws -> Bool {
        let key = Self.lockKey(job)
        return try await pool.withConnection { connection in
            guard try await lockStatement("SELECT pg_try_advisory_lock(\(key))", on: connection) else { return false }
            do {
                try await body()
            } catch {
                try? await unlock(job, key: key, on: connection)
                throw error
            }
            try await unlock(job, key: key, on: connection)
            return true
        }
    }

    private func unlock(_ job: String, key: Int64, on connection: PostgresConnection) async throws {
        if try await !lockStatement("SELECT pg_advisory_unlock(\(key))", on: connection) {
            // The lock was taken in another server session: the connection goes through a pooler
            // that hands each transaction to any session.
            logger.error(
                "the lock of job '\(job)' was not held by its own session: storage.postgres must reach PostgreSQL directly, or through a pooler in session mode (in transaction mode the jobs' locks and the change channel do not work)"
            )
        }
    }

    /// A statement of a job's lock, answered within `queryTimeout`; otherwise the connection is
    /// closed at once (which ends its session's locks), or a database lost without a word would
    /// hold it, and the job, for as long as the operating system waits (about 15 minutes).
    private func lockStatement(_ query: PostgresQuery, on connection: PostgresConnection) async throws -> Bool {
        let logger = logger
        do {
            return try await Deadline.run(within: Self.queryTimeout) {
                var answer = false
                for try await value in try await connection.query(query, logger: logger).decode(Bool.self) {
                    answer = value
                }
                return answer
            }
        } catch is Deadline.Passed {
            logger.warning("closing the database connection of a job's lock: it did not answer in time")
            connection.close().whenComplete { _ in }
            silenceSweep.start()
            throw Self.noAnswerInTime
        }
    }

    /// Runs `body` while holding the job's advisory lock, waiting for another holder to finish.
    package func runSerially<T: Sendable>(_ job: String, _ body: () async throws -> T) async throws -> T {
        let key = Self.lockKey(job)
        return try await pool.withConnection { connection in
            _ = try await connection.query("SELECT pg_advisory_lock(\(key))", logger: logger)
            do {
                let result = try await body()
                _ = try await connection.query("SELECT pg_advisory_unlock(\(key))", logger: logger)
                return result
            } catch {
                _ = try? await connection.query("SELECT pg_advisory_unlock(\(key))", logger: logger)
                throw error
            }
        }
    }

    /// A stable 64-bit key for a job name (FNV-1a), apart from the migration lock.
    static func lockKey(_ job: String) -> Int64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in ("gatehouse-job:" + job).utf8 {
            hash ^= UInt64(byte)
            hash &*= 0x0000_0100_0000_01B3
        }
        return Int64(bitPattern: hash)
    }

    /// The server answers a trivial query.
    package func ping() async throws {
        _ = try await rows("SELECT 1")
    }

    /// The `LISTEN`/`NOTIFY` channel of the replicas.
    package static let channel = "gatehouse_changes"

    /// Whether an error is PostgreSQL's unique violation.
    static func isUniqueViolation(_ error: any Error) -> Bool {
        (error as? PSQLError)?.serverInfo?[.sqlState] == "23505"
    }
}
