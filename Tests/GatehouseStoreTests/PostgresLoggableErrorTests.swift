import Foundation
import GatehouseCore
import GatehousePostgres
import GatehouseTestSupport
import Logging
import PostgresNIO
import Testing

/// What the request log says of a PostgreSQL error it cannot map (a 500): what failed, never
/// a value the statement was given.
@Suite(.enabled(if: StoreBackend.available.contains(.postgres), "needs GATEHOUSE_TEST_POSTGRES_URL (scripts/test.sh)"))
struct PostgresLoggableErrorTests {
    @Test func aFailedStatementIsLoggedByWhatFailedWithoutItsValues() async throws {
        try await StoreBackend.withPostgres { _, settings in
            try await StoreBackend.withClient(settings) { client in
                try await client.withConnection { connection in
                    try await check(on: connection)
                }
            }
        }
    }

    func check(on connection: PostgresConnection) async throws {
        let logger = Logger(label: "test")
        _ = try await connection.query(
            "CREATE TEMP TABLE marks (n INTEGER CONSTRAINT marks_small CHECK (n < 10))", logger: logger)
        do {
            _ = try await connection.query("INSERT INTO marks (n) VALUES (\(424_242))", logger: logger)
            Issue.record("the insert went through")
        } catch let error as PSQLError {
            let said = (error as any Error as? any LoggableStoreError)?.loggable
            #expect(said?.contains("sqlstate 23514") == true, "\(said ?? "-")")
            #expect(said?.contains("constraint marks_small") == true, "\(said ?? "-")")
            #expect(said?.contains("424242") == false, "\(said ?? "-")")
        }
    }
}
