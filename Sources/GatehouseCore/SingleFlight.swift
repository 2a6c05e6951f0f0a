import Synchronization

/// Concurrent callers for one key share one load: when a cache lapses under load, one caller
/// reads the store and the others wait for its answer, instead of each reading it again.
package final class SingleFlight<Key: Hashable & Sendable, Value: Sendable>: Sendable {
    private let running = Mutex<[Key: Task<Value, any Error>]>([:])

    /// Creates one with nothing running.
    package init() {}

    /// The value `load` gives for `key`, run once for every caller that asks while it runs.
    package func run(_ key: Key, _ load: @escaping @Sendable () async throws -> Value) async throws -> Value {
        let task = running.withLock { running in
            if let task = running[key] { return task }
            let task = Task {
                defer { _ = self.running.withLock { $0.removeValue(forKey: key) } }
                return try await load()
            }
            running[key] = task
            return task
        }
        return try await task.value
    }
}
