import Foundation
import GatehouseCore
import Logging
import PostgresNIO

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

    /// Runs a statement and reads every row.
    func rows(_ query: PostgresQuery) async throws -> [PostgresRandomAccessRow] {
        var rows: [PostgresRandomAccessRow] = []
        for try await row in try await client.query(query, logger: logger) {
            rows.append(row.makeRandomAccess())
        }
        return rows
    }

    /// The `LISTEN`/`NOTIFY` channel of the replicas.
    package static let channel = "gatehouse_changes"

    /// Whether an error is PostgreSQL's unique violation.
    static func isUniqueViolation(_ error: any Error) -> Bool {
        (error as? PSQLError)?.serverInfo?[.sqlState] == "23505"
    }
}
