import Foundation
import GatehouseTestSupport
import Testing

@testable import GatehouseCore

// One sender's revocations go one after another (the three-failures rule counts them in order),
// different senders' side by side: one slow to answer does not hold up the others'.
extension RevocationRetrierTests {
    @Test func aSlowSenderDoesNotHoldUpAnothersRevocations() async throws {
        try await StoreBackend.withSQLite { store in
            let broker = try await broker(store)
            // Two grants queued through provider p as it was deleted, two through the provider
            // that took the id (its server is slow; its rows come first in a run).
            for user in ["a", "b"] { try await connect(store, user: user, provider: "p", refreshToken: "rt-\(user)") }
            _ = try await broker.providers.delete(id: "p")
            try await broker.providers.create(Self.revoking(at: "https://other.example/revoke"), source: .api)
            for user in ["c", "d"] {
                let connection = try await storeStaleConnection(store, cipher: cipher, user: user, refreshToken: "rt-\(user)")
                let order = RevocationOrder(deletedAt: clock.time.withLock { $0 }, destination: "https://other.example")
                _ = try await store.deleteConnection(id: connection.id, queueing: order)
            }
            advance(PendingRevocation.firstRetryDelay)
            let slow = Gate()
            client.holdRevocations(to: "https://other.example/revoke", at: slow)

            let run = Task { await RevocationRetrier(broker: broker).retry() }
            #expect(try await eventually { client.revoked.sorted() == ["rt-a", "rt-b"] })
            // Its first may reach the gate after the others are done (the two cores are shared).
            #expect(try await eventually { slow.arrivals >= 1 })
            #expect(slow.arrivals == 1, "the slow sender's second revocation went before its first was answered")
            slow.open()
            #expect(await run.value == RevocationRetrier.Report(revoked: 4))
            #expect(client.revoked.count == 4)
        }
    }
}
