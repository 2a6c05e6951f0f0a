import Foundation
import GatehouseCore
import GatehousePostgres
import GatehouseTestSupport
import Logging
import PostgresNIO
import Synchronization
import Testing

/// The change channel between replicas: what one publishes, every listener hears; a listener
/// whose connection dies comes back and has everything re-checked.
@Suite(.enabled(if: StoreBackend.available.contains(.postgres), "needs GATEHOUSE_TEST_POSTGRES_URL (scripts/test.sh)"))
struct PostgresListenerTests {
    /// A deleted connection is announced by the delete itself, committed with it: no separate
    /// announcement that a lost connection could drop. So is a provider's delete, which deletes
    /// its connections.
    @Test func deletesAnnounceThemselves() async throws {
        try await StoreBackend.withPostgres { store, settings in
            let heard = Mutex<[StoreChange]>([])
            let hub = ChangeHub()
            hub.register { change in heard.withLock { $0.append(change) } }
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    try await PostgresListener(
                        settings: settings, hub: hub, logger: Logger(label: "test"), retryDelay: .milliseconds(100)
                    ).run()
                }
                defer { group.cancelAll() }
                // Listening: the first thing a listener says.
                #expect(try await eventually { heard.withLock { $0.contains(.everything) } })
                let cipher = try TokenCipher(keys: [RootKey.generate(id: "k")], defaultKeyID: "k")
                let connection = try await storeStaleConnection(store, cipher: cipher)
                #expect(try await store.deleteConnection(id: connection.id) != nil)
                #expect(try await eventually { heard.withLock { $0.contains(.connection(connection.id)) } })
                #expect(try await store.deleteConnection(id: "uc_none") == nil)
                let registry = ProviderRegistry(store: store, cipher: cipher, catalog: ProviderCatalog([]))
                try await registry.create(refreshableProviderRequest(), source: .api)
                _ = try await storeStaleConnection(store, cipher: cipher)
                #expect(try await eventually { heard.withLock { $0.contains(.providers) } })
                heard.withLock { $0.removeAll() }
                // The store alone, without the registry's own announcement after it.
                #expect(try await store.deleteProvider(id: "p") != nil)
                #expect(try await eventually { heard.withLock { $0.contains(.providers) } })
            }
        }
    }

    @Test func changesReachListenersAndALostConnectionComesBack() async throws {
        try await StoreBackend.withPostgres { store, settings in
            let heard = Mutex<[StoreChange]>([])
            let hub = ChangeHub()
            hub.register { change in heard.withLock { $0.append(change) } }
            let log = LogRecorder()
            try await StoreBackend.withClient(settings) { client in
                try await withThrowingTaskGroup(of: Void.self) { group in
                    group.addTask {
                        try await PostgresListener(
                            settings: settings, hub: hub, logger: log.logger(level: .notice), retryDelay: .milliseconds(100)
                        ).run()
                    }
                    defer { group.cancelAll() }
                    // Another replica (here: the store's own pool) announces a flow.
                    var delivered = false
                    for _ in 0..<50 where !delivered {
                        try await store.publish(.flow("ac_1"))
                        delivered = try await eventually(.milliseconds(100)) { heard.withLock { $0.contains(.flow("ac_1")) } }
                    }
                    #expect(delivered)
                    // Up for the first time: caches may be trusted from here.
                    #expect(heard.withLock { $0.first == .everything })
                    heard.withLock { $0.removeAll() }
                    // The listening backend dies: the listener says so, comes back and has
                    // everything re-checked.
                    _ = try await client.query(
                        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query LIKE 'LISTEN%' AND pid <> pg_backend_pid() AND datname = current_database()"
                    )
                    #expect(try await eventually { heard.withLock { $0.contains(.everything) } })
                    // (An announcement published twice by the loop above may still arrive late.)
                    #expect(heard.withLock { $0.first { $0 != .flow("ac_1") } == .channelLost })
                    // One warning for the loss, one notice for its end.
                    let said = log.logged.map { ($0.level, $0.message) }
                    #expect(
                        said.count == 2 && said.first?.0 == .warning && said.first?.1.hasPrefix("change channel lost") == true)
                    #expect(said.last?.0 == .notice && log.logged.last?.metadata["down_seconds"] != nil, "\(said)")
                    heard.withLock { $0.removeAll() }
                    var again = false
                    for _ in 0..<50 where !again {
                        try await store.publish(.providers)
                        again = try await eventually(.milliseconds(100)) { heard.withLock { $0.contains(.providers) } }
                    }
                    #expect(again)
                }
            }
        }
    }
}

extension PostgresListenerTests {
    /// A stop (the task cancelled, as a graceful shutdown does) ends the listening without a
    /// warning: it used to say `change channel lost` at every rollout.
    @Test func aStopIsNoLostChannel() async throws {
        try await StoreBackend.withPostgres { _, settings in
            let up = Mutex(false)
            let hub = ChangeHub()
            hub.register { change in if change == .everything { up.withLock { $0 = true } } }
            let log = LogRecorder()
            let listening = Task {
                try await PostgresListener(settings: settings, hub: hub, logger: log.logger(), retryDelay: .milliseconds(100))
                    .run()
            }
            #expect(try await eventually { up.withLock { $0 } })
            listening.cancel()
            try await listening.value
            #expect(log.logged.filter { $0.level >= .warning }.isEmpty, "\(log.logged.map(\.message))")
        }
    }

    /// A database that stays out of reach is one warning, not one a second: the tries that
    /// follow are at debug.
    @Test func anOutageIsOneWarningAndItsTriesAreDebug() async throws {
        try await StoreBackend.withPostgres { _, settings in
            var closed = settings
            closed.port = 1
            let unreachable = closed
            let log = LogRecorder()
            let hub = ChangeHub()
            let lost = Mutex(0)
            hub.register { change in if change == .channelLost { lost.withLock { $0 += 1 } } }
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    try await PostgresListener(
                        settings: unreachable, hub: hub, logger: log.logger(), retryDelay: .milliseconds(20)
                    ).run()
                }
                defer { group.cancelAll() }
                let retried = try await eventually { lost.withLock { $0 >= 5 } }
                #expect(retried)
            }
            let warnings = log.logged.filter { $0.level >= .warning }
            #expect(warnings.count == 1 && warnings[0].message.hasPrefix("change channel not up yet"), "\(warnings)")
            #expect(log.logged.filter { $0.message == "change channel still down" }.count >= 4)
        }
    }
}

/// Work the fleet does once: a job held by one replica is skipped by the others.
@Suite(.enabled(if: StoreBackend.available.contains(.postgres), "needs GATEHOUSE_TEST_POSTGRES_URL (scripts/test.sh)"))
struct PostgresExclusiveJobTests {
    @Test func aJobRunsOnOneReplicaAtATime() async throws {
        try await StoreBackend.withPostgres { store, settings in
            // A second replica: its own pool on the same database.
            try await StoreBackend.withClient(settings) { otherClient in
                let other = PostgresStore(client: otherClient, logger: Logger(label: "test"))
                let (started, go) = AsyncStream.makeStream(of: Void.self)
                let (finish, release) = AsyncStream.makeStream(of: Void.self)
                try await withThrowingTaskGroup(of: Bool.self) { group in
                    group.addTask {
                        try await store.runExclusively("sweep") {
                            go.yield()
                            for await _ in finish { break }
                        }
                    }
                    for await _ in started { break }
                    let skipped = try await other.runExclusively("sweep", {})
                    let separate = try await other.runExclusively("another job", {})
                    #expect(!skipped && separate)
                    release.yield()
                    #expect(try await group.next() == true)
                    // Released: the other replica takes it now.
                    let taken = try await other.runExclusively("sweep", {})
                    #expect(taken)
                }
            }
        }
    }
}
