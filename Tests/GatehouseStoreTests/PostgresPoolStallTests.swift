import Foundation
import GatehouseTestSupport
import GatehouseWire
import Logging
import PostgresNIO
import Testing

@testable import GatehousePostgres

/// The database refuses the pool another connection (a role's connection limit here; "too many
/// clients" in production, SQLSTATE 53300 both) after a burst: PostgresNIO's pool then queued
/// every request while its own connections sat idle, and answered none until a connection
/// opened, which never happened while those idle ones held the places. The store's requests
/// break that stall by closing the idle connections.
@Suite struct PostgresPoolStallTests {
    static let logger = Logger(label: "test")

    @Test func aRequestAfterTheDatabaseRefusedAConnectionIsServed() async throws {
        try await StoreBackend.withPostgres(leaseClock: .caller) { _, settings in
            let role = "gh_stall_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").prefix(12).lowercased()
            try await StoreBackend.withClient(settings) { admin in
                _ = try await admin.query("CREATE ROLE \(unescaped: role) LOGIN CONNECTION LIMIT 3")
            }
            var limited = settings
            limited.username = role
            limited.password = nil
            limited.poolSize = 6
            // Dropped also when the test fails: a role outlives its database.
            func dropRole() async throws {
                try await StoreBackend.withClient(settings) { admin in
                    _ = try await admin.query("DROP ROLE IF EXISTS \(unescaped: role)")
                }
            }
            do {
                try await Self.burstThenOne(limited)
            } catch {
                try? await dropRole()
                throw error
            }
            try await dropRole()
        }
    }

    /// A burst wider than the role may connect, then one request once the burst is over.
    static func burstThenOne(_ limited: PostgresSettings) async throws {
        try await StoreBackend.withClient(limited) { client in
            let pool = PooledConnections(
                client: client, stallAfter: .milliseconds(600), idleFor: .milliseconds(300), logger: Logger(label: "test"))
            // A burst wider than the role may connect: three connections open, the others fail.
            try await withThrowingTaskGroup(of: Void.self) { group in
                for _ in 0..<6 {
                    group.addTask {
                        _ = try await pool.withConnection {
                            try await $0.query("SELECT pg_sleep(0.3)", logger: logger).collect()
                        }
                    }
                }
                try await group.waitForAll()
            }
            // Then one request, with the pool's connections idle: served, not held until the
            // pool's idle timeout (a minute), which this bound is well under.
            let answered = try await Deadline.run(within: .seconds(30)) {
                try await pool.withConnection { connection in
                    var value = 0
                    for try await one in try await connection.query("SELECT 1", logger: logger).decode(Int.self) {
                        value = one
                    }
                    return value
                }
            }
            #expect(answered == 1)
            #expect(pool.waitingCount == 0)
        }
    }

    /// Which idle connections a stall check closes: only those idle for `idleFor`, since before
    /// a request that has waited `stallAfter` came. A connection given back while a request
    /// already queued (a busy pool hands it to that request) is not evidence of a stall.
    @Test func onlyConnectionsIdleSinceBeforeALongWaitAreClosed() {
        let now = ContinuousClock.now
        let ago = { (seconds: Double) in now - .milliseconds(Int(seconds * 1000)) }
        func stalled(_ waiting: [Double], _ idle: [Int: Double?]) -> Set<Int> {
            Set(
                PooledConnections.stalled(
                    waitingSince: waiting.map(ago), idleSince: idle.mapValues { $0.map(ago) }, now: now,
                    stallAfter: .seconds(2), idleFor: .seconds(1)))
        }
        // Nobody waits, or nobody long enough: nothing.
        #expect(stalled([], [1: 30]).isEmpty)
        #expect(stalled([1.5], [1: 30]).isEmpty)
        // A request that came 3 s ago, after connection 1 went idle 5 s ago: 1 goes; 2 is in use;
        // 3 went idle only 0.5 s ago.
        #expect(stalled([3], [1: 5, 2: nil, 3: 0.5]) == [1])
        // Idle since after the long waiter came (handed to a queued request, say): kept.
        #expect(stalled([3], [1: 2.5]).isEmpty)
        // Several waiters: the latest of those that waited long decides.
        #expect(stalled([10, 2.5], [1: 2.8, 2: 20]) == [1, 2])
    }
}
