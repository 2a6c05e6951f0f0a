import GatehouseCore
import GatehousePostgres
import Logging
import PostgresNIO
import Testing

/// The pool's own refusals are `store_unavailable` (a 503 the client may retry), not internal
/// errors. After an outage of a minute its circuit breaker refuses every request at once for a
/// while; a pool that has shut down refuses the same way, which this test can bring about.
@Suite struct PostgresPoolErrorTests {
    @Test func aRefusalOfThePoolIsStoreUnavailable() async throws {
        let configuration = PostgresClient.Configuration(
            host: "127.0.0.1", port: 1, username: "nobody", password: nil, database: nil, tls: .disable)
        let client = PostgresClient(configuration: configuration)
        let running = Task { await client.run() }
        running.cancel()
        _ = await running.value
        let store = PostgresStore(client: client, logger: Logger(label: "test"))
        let error = await #expect(throws: GatehouseError.self) {
            _ = try await store.connection(userID: "alice", providerID: "github")
        }
        #expect(error?.code == .storeUnavailable, "\(String(describing: error))")
    }

    /// A database that refuses every connection (stopped) leaves a statement without one until
    /// its time runs out: said as unreachable, not as a statement the database did not answer.
    @Test func aDatabaseThatTakesNoConnectionIsUnreachable() async throws {
        let configuration = PostgresClient.Configuration(
            host: "127.0.0.1", port: 1, username: "nobody", password: nil, database: nil, tls: .disable)
        let client = PostgresClient(configuration: configuration)
        let running = Task { await client.run() }
        defer { running.cancel() }
        let store = PostgresStore(client: client, logger: Logger(label: "test"))
        let error = await #expect(throws: GatehouseError.self) {
            _ = try await store.connection(userID: "alice", providerID: "github")
        }
        #expect(error?.code == .storeUnavailable)
        #expect(error?.message == "the database cannot be reached; try again shortly", "\(String(describing: error))")
    }
}
