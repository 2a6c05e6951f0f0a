import GatehouseSQLite
import ServiceLifecycle

/// Closes the SQLite store after the server has stopped.
struct StoreService: Service {
    let store: SQLiteStore

    func run() async throws {
        try? await gracefulShutdown()
        // Closed whether the server stopped or failed (a port in use cancels the group): in a
        // task of its own, which the cancellation does not reach.
        let store = store
        try await Task { try await store.close() }.value
    }
}
