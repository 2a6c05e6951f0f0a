import GatehouseCore
import GatehouseSQLite
import ServiceLifecycle

/// The embedded store: one connection, opened now, closed after the server stops.
struct SQLiteStorage: Storage {
    let sqlite: SQLiteStore
    func store(telemetry: Telemetry) -> any Store { sqlite }
    var services: [any Service] { [StoreService(store: sqlite)] }

    func bootstrap<T: Sendable>(_ body: (any Store) async throws -> T) async throws -> T {
        try await body(sqlite)
    }

    func abandon() async {
        try? await sqlite.close()
    }

    func listener(hub: ChangeHub) -> (any Service)? { nil }
}
