import GatehouseCore
import ServiceLifecycle

/// Where Gatehouse keeps its state: the one seam between the composition root and a backend.
/// Configuration picks the backend; the backend gives the store that serves, the services that
/// must run beside it, and a scope for the start-up work done before those services run.
protocol Storage: Sendable {
    /// The store that serves requests (ready once `services` run), counting its failures in
    /// `telemetry`. Made once per call: the composition root makes one.
    func store(telemetry: Telemetry) -> any Store
    /// What must run in the application's service group for `store` to work.
    var services: [any Service] { get }
    /// Runs start-up work (the first API key, config-file providers) on a ready, migrated store.
    func bootstrap<T: Sendable>(_ body: (any Store) async throws -> T) async throws -> T
    /// Releases what opening took, when the start fails before the services run.
    func abandon() async
    /// The service that feeds other replicas' changes into `hub`, if the store is shared.
    func listener(hub: ChangeHub) -> (any Service)?
}
