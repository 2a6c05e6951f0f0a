import Foundation
import GatehouseCore
import Logging
import PostgresNIO

// Migrations that wait for their tables' locks a bounded time, trying again while the queries
// behind them go on.
extension PostgresMigrations {
    /// How long one try of a migration waits for its table's lock, and how long it goes on
    /// trying. A migration's `ALTER TABLE` waits for every transaction that has the table open,
    /// and every query on the table that comes after it waits behind it: without a limit, one
    /// long transaction would hold up every replica's requests for as long as it lasts. With one,
    /// the queue behind the migration drains between tries.
    package struct LockWait: Sendable {
        /// The longest one try waits for a lock (`lock_timeout`).
        package var perTry: Duration
        /// The pause between tries, while the queries behind the migration go on.
        package var pause: Duration
        /// How long the tries go on before the start stops.
        package var total: Duration

        /// Waits of these lengths.
        package init(perTry: Duration = .seconds(2), pause: Duration = .milliseconds(500), total: Duration = .seconds(10)) {
            self.perTry = perTry
            self.pause = pause
            self.total = total
        }
    }

    /// Runs `body` in one transaction whose lock waits end at `lockWait.perTry`, trying again
    /// while another transaction holds a lock it needs (SQLSTATE 55P03), for as long as
    /// `lockWait` allows; `what` names it in the log and the error.
    static func withLockRetry(
        _ what: String, _ connection: PostgresConnection, _ lockWait: LockWait, _ logger: Logger,
        _ body: (PostgresConnection) async throws -> Void
    ) async throws {
        let clock = ContinuousClock()
        let deadline = clock.now.advanced(by: lockWait.total)
        let perTry = "\(max(1, lockWait.perTry.milliseconds))ms"
        while true {
            do {
                try await connection.withTransaction(logger: logger) { transaction in
                    _ = try await transaction.query(
                        PostgresQuery(unsafeSQL: "SET LOCAL lock_timeout = '\(perTry)'"), logger: logger)
                    try await body(transaction)
                }
                return
            } catch let error as PostgresTransactionError where isLockTimeout(error.closureError) && error.rollbackError == nil {
                guard clock.now.advanced(by: lockWait.pause) < deadline else {
                    throw GatehouseError(
                        .internalError,
                        "\(what) could not lock its table within \(lockWait.total): another transaction "
                            + "holds it (a long transaction or an explicit LOCK; pg_stat_activity shows which). Nothing "
                            + "of it was applied: start again when that transaction has ended")
                }
                logger.warning("\(what) waits for a lock that another transaction holds; trying again")
                try await Task.sleep(for: lockWait.pause)
            }
        }
    }

    private static func isLockTimeout(_ error: (any Error)?) -> Bool {
        (error as? PSQLError)?.serverInfo?[.sqlState] == "55P03"
    }
}

extension Duration {
    /// Whole milliseconds, rounded down.
    fileprivate var milliseconds: Int64 {
        components.seconds * 1000 + components.attoseconds / 1_000_000_000_000_000
    }
}
