import GatehouseTestSupport
import Testing

@testable import GatehouseServer

/// `log.level: trace` on PostgreSQL: PostgresNIO gets the logger at debug at most, since at trace
/// it logs each row the server sends (an API key's hash, sealed tokens).
@Suite(.enabled(if: StoreBackend.available.contains(.postgres))) struct PostgresTraceLogTests {
    @Test func postgresNIOLogsNoRowsAtTrace() async throws {
        try await StoreBackend.withPostgres { _, settings in
            let log = LogRecorder()
            let storage = try await StorageChoice.postgres(settings).open(
                logger: log.logger(level: .trace), migrationLimit: .command)
            _ = try await storage.bootstrap { store in try await store.apiKey(hash: "0123456789abcdef") }
            await storage.abandon()
            #expect(!log.logged.isEmpty, "PostgresNIO logs at debug")
            #expect(!log.logged.contains { $0.level == .trace }, "\(log.logged.filter { $0.level == .trace }.prefix(3))")
        }
    }
}
