import Foundation
import Logging
import ServiceLifecycle
import Synchronization

/// Keeps this server's `RunningServer` record in the store: written at start and every
/// `RunningServer.heartbeat`, removed at a graceful stop. Each beat also removes the records of
/// servers that ended without removing theirs, once `RunningServer.forgottenAfter` old.
package final class ServerHeartbeat: Service, Sendable {
    let store: any Store
    let server: RunningServer
    /// This start's setting: a restarted server is another record.
    let key: String
    let logger: Logger
    let now: @Sendable () -> Date
    // A failing write is said once, not every beat, and its recovery once.
    private let failing = Atomic<Bool>(false)

    /// Creates the heartbeat of a server holding these root keys, under `key` (this start's:
    /// `RunningServer.newKey()`, which the broker records on the flows its callbacks take).
    package init(
        store: any Store, keyIDs: [String], defaultKeyID: String, logger: Logger, key: String = RunningServer.newKey(),
        host: String = ProcessInfo.processInfo.hostName, pid: Int32 = ProcessInfo.processInfo.processIdentifier,
        now: @escaping @Sendable () -> Date = Date.init
    ) {
        self.store = store
        self.server = RunningServer(host: host, pid: pid, keyIDs: keyIDs, defaultKeyID: defaultKeyID, seen: now())
        self.key = key
        self.logger = logger
        self.now = now
    }

    /// Beats until shutdown, then removes the record. A beat that could not be written is tried
    /// again every 5 s until the next: other replicas take a record older than
    /// `RunningServer.liveFor` for a server that stopped, and the callbacks it took for stopped.
    package func run() async throws {
        try await runPeriodically(every: RunningServer.heartbeat, immediately: true) { _ in
            for _ in 0..<5 {
                guard await !self.beat(), !Task.isCancelled else { return }
                try? await Task.sleep(for: .seconds(5))
            }
        }
        await remove()
    }

    /// Writes the record now, and removes forgotten ones; returns whether the record was written.
    @discardableResult
    package func beat() async -> Bool {
        do {
            var current = server
            // On the store's clock, which the replicas that read the record compare it with.
            current.seen = try await store.sharedTime(now())
            try await store.setSetting(key, value: try current.encoded)
            for (other, value) in try await store.settings(prefix: RunningServer.settingPrefix) where other != key {
                // One this build cannot read is a newer build's, which removes it when it is old.
                guard let record = RunningServer.decoded(value),
                    current.seen.timeIntervalSince(record.seen) >= RunningServer.forgottenAfter
                else { continue }
                try await store.deleteSetting(other)
            }
            if failing.exchange(false, ordering: .relaxed) {
                logger.notice("the server's record in the store is written again")
            }
            return true
        } catch {
            // Until it is written, `reencrypt` cannot see that this server runs with these keys.
            if !failing.exchange(true, ordering: .relaxed) {
                logger.warning(
                    "could not write the server's record in the store; reencrypt will not see this server",
                    metadata: ["error": "\(error)"])
            }
            return false
        }
    }

    /// Removes the record (a stopping server holds no keys any more).
    package func remove() async {
        do {
            try await store.deleteSetting(key)
        } catch {
            logger.debug("could not remove the server's record", metadata: ["error": "\(error)"])
        }
    }
}
