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
            try await StoreBackend.withClient(limited) { client in
                let pool = PooledConnections(
                    client: client, stallAfter: .milliseconds(600), idleFor: .milliseconds(300), logger: Logger(label: "test"))
                // A burst wider than the role may connect: three connections open, the others fail.
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for _ in 0..<6 {
                        group.addTask {
                            _ = try await pool.withConnection {
                                try await $0.query("SELECT pg_sleep(0.3)", logger: Self.logger).collect()
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
                        for try await one in try await connection.query("SELECT 1", logger: Self.logger).decode(Int.self) {
                            value = one
                        }
                        return value
                    }
                }
                #expect(answered == 1)
                #expect(pool.waitingCount == 0)
            }
            try await StoreBackend.withClient(settings) { admin in
                _ = try await admin.query("DROP ROLE IF EXISTS \(unescaped: role)")
            }
        }
    }

    /// Idle connections are not closed while nobody waits, nor while the waits are short.
    @Test func nothingIsClosedWithoutALongWait() async throws {
        try await StoreBackend.withPostgres(leaseClock: .caller) { _, settings in
            try await StoreBackend.withClient(settings) { client in
                let pool = PooledConnections(client: client, logger: Logger(label: "test"))
                _ = try await pool.withConnection { try await $0.query("SELECT 1", logger: Self.logger).collect() }
                #expect(pool.breakStall(now: .now + .seconds(60)) == 0)
            }
        }
    }
}
