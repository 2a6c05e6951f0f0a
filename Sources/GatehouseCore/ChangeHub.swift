import Synchronization

/// Fans a change out to what this replica keeps: parked long-polls, the provider cache, the
/// API-key cache. The store's channel (PostgreSQL `LISTEN`) feeds it; with one process and
/// SQLite, the in-process paths already cover every change.
package final class ChangeHub: Sendable {
    private let handlers = Mutex<[@Sendable (StoreChange) async -> Void]>([])

    /// A hub with no handlers.
    package init() {}

    /// Adds a handler; every change reaches every handler.
    package func register(_ handler: @escaping @Sendable (StoreChange) async -> Void) {
        handlers.withLock { $0.append(handler) }
    }

    /// Delivers a change to every handler.
    package func deliver(_ change: StoreChange) async {
        for handler in handlers.withLock({ $0 }) { await handler(change) }
    }
}
