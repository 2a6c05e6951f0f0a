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

    /// A store over a client that runs (or will run) in the application's service group.
    package init(client: PostgresClient, logger: Logger) {
        self.client = client
        self.logger = logger
    }

    /// Runs a statement and reads every row. A server that does not answer within
    /// `queryTimeout`, or a connection that fails, is `storeUnavailable` (503), not a hang.
    func rows(_ query: PostgresQuery) async throws -> [PostgresRandomAccessRow] {
        let logger = logger
        return try await withinDeadline { client in
            var rows: [PostgresRandomAccessRow] = []
            for try await row in try await client.query(query, logger: logger) {
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

    /// The 503 for a commit whose answer was lost, logged as an unreachable database is.
    func unavailable(after lost: CommitAnswerLost) -> GatehouseError {
        logger.warning("database unreachable at a commit", metadata: ["error": "\(lost.error.code)"])
        return GatehouseError(.storeUnavailable, "the database cannot be reached; try again shortly")
    }

    private func transaction<T: Sendable>(
        _ body: @escaping @Sendable (_ run: (PostgresQuery) async throws -> [PostgresRandomAccessRow]) async throws -> T
    ) async throws -> T {
        let logger = logger
        return try await withinDeadline { client in
            do {
                return try await client.withTransaction(logger: logger) { connection in
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

    private func withinDeadline<T: Sendable>(
        _ work: @escaping @Sendable (PostgresClient) async throws -> T
    ) async throws -> T {
        let client = client
        do {
            return try await Deadline.run(within: Self.queryTimeout) { try await work(client) }
        } catch is Deadline.Passed {
            throw GatehouseError(.storeUnavailable, "the database did not answer in time; try again shortly")
        } catch let error as PSQLError where Self.isUnavailable(error) {
            let state = error.serverInfo?[.sqlState]
            logger.warning("database unreachable", metadata: ["error": "\(error.code)", "sqlstate": "\(state ?? "-")"])
            throw GatehouseError(
                .storeUnavailable,
                state == "25006"
                    ? "the database takes no writes (a read-only standby?); try again shortly"
                    : "the database cannot be reached; try again shortly")
        } catch let error as ConnectionPoolError where error != .requestCancelled {
            // After failed attempts to connect the pool refuses at once for a while (its circuit
            // breaker), and refuses everything while it shuts down: the database cannot serve, a 503.
            logger.warning("database unreachable", metadata: ["error": "\(error)"])
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

    /// A session advisory lock per job name, held on one pooled connection while `body` runs:
    /// a replica that dies drops its connection, and with it the lock.
    package func runExclusively(_ job: String, _ body: @Sendable () async throws -> Void) async throws -> Bool {
        let key = Self.lockKey(job)
        return try await client.withConnection { connection in
            var locked = false
            for try await value in try await connection.query("SELECT pg_try_advisory_lock(\(key))", logger: logger)
                .decode(Bool.self)
            {
                locked = value
            }
            guard locked else { return false }
            do {
                try await body()
            } catch {
                _ = try? await connection.query("SELECT pg_advisory_unlock(\(key))", logger: logger)
                throw error
            }
            _ = try await connection.query("SELECT pg_advisory_unlock(\(key))", logger: logger)
            return true
        }
    }

    /// Runs `body` while holding the job's advisory lock, waiting for another holder to finish.
    package func runSerially<T: Sendable>(_ job: String, _ body: () async throws -> T) async throws -> T {
        let key = Self.lockKey(job)
        return try await client.withConnection { connection in
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
