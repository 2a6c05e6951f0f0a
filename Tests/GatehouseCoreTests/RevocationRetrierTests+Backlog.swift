import Foundation
import GatehouseTestSupport
import MetricsTestKit
import Testing

@testable import GatehouseCore

// What an operator sees of the revocations that wait: the pending gauges each run sets, and a
// revocation left because its user connected again, said as such.
extension RevocationRetrierTests {
    @Test func eachRunSetsThePendingGaugesWhichFallToZeroOnceRevoked() async throws {
        try await StoreBackend.withSQLite { store in
            let metrics = TestMetrics()
            let broker = try await broker(store, telemetry: Telemetry(factory: metrics))
            let retrier = RevocationRetrier(broker: broker)
            client.failRevocations(with: Self.unavailable)
            for user in ["a", "b"] {
                let connection = try await storeStaleConnection(store, cipher: cipher, user: user)
                #expect(try await broker.deleteConnection(id: connection.id) == .revocationPending("HTTP 503"))
                advance(10)
            }
            // Counted by a run, even one that tries nothing.
            #expect(await retrier.retry() == RevocationRetrier.Report())
            let pending = try metrics.expectMeter("gatehouse_revocations_pending", [("provider", "p")])
            let age = try metrics.expectMeter("gatehouse_revocations_oldest_pending_seconds", [("provider", "p")])
            #expect(pending.lastValue == 2 && age.lastValue == 20)
            client.failRevocations(with: nil)
            advance(60)
            #expect(await retrier.retry() == RevocationRetrier.Report(revoked: 2))
            #expect(pending.lastValue == 0 && age.lastValue == 0)
        }
    }

    /// Not "end it at the provider": that advice would end the user's new grant too.
    @Test func aRevocationLeftForAReconnectedUserIsCountedAndLoggedAsSuch() async throws {
        try await StoreBackend.withSQLite { store in
            let metrics = TestMetrics()
            let log = LogRecorder()
            let broker = try await broker(store, telemetry: Telemetry(factory: metrics), logger: log.logger())
            let connection = try await storeStaleConnection(store, cipher: cipher)
            client.failRevocations(with: Self.unavailable)
            #expect(try await broker.deleteConnection(id: connection.id) == .revocationPending("HTTP 503"))
            _ = try await storeStaleConnection(store, cipher: cipher)
            client.failRevocations(with: nil)
            advance(60)
            #expect(await RevocationRetrier(broker: broker).retry() == RevocationRetrier.Report(dropped: 1))
            #expect(client.revocationTries == 1)
            let counted = try metrics.expectCounter(
                "gatehouse_revocations_total", [("provider", "p"), ("outcome", "superseded")])
            #expect(counted.totalValue == 1)
            let line = try #require(log.logged.first { $0.message.contains("grant left at the provider") })
            #expect(line.level == .notice && line.metadata["reason"] == RevocationOutcome.supersededReason)
            #expect(!log.logged.contains { $0.message.contains("end it at the provider") })
        }
    }
}
