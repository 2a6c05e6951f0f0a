import Foundation
import GatehouseCore
import GatehouseTestSupport
import Testing

/// `Store.expireFlows`: the pending flows whose time ran out are failed once, with the reason a
/// status read would give; fresh, ended and still-running flows are left; on every backend.
@Suite struct FlowExpiryContractTests {
    @Test(arguments: StoreBackend.available)
    func expiredFlowsAreFailedOnceWithTheirReason(backend: StoreBackend) async throws {
        try await backend.withStore { store in
            let now = Date()
            let hourAgo = now.addingTimeInterval(-3600)
            let expired = try await store.insertFlowDeduplicated(makeFlow(user: "a", now: hourAgo), now: hourAgo)
            let fresh = try await store.insertFlowDeduplicated(makeFlow(user: "b", now: now), now: now)
            // A callback took its state an hour ago and left nothing: it stopped.
            let taken = try await store.insertFlowDeduplicated(makeFlow(user: "c", now: hourAgo), now: hourAgo)
            _ = try #require(try await store.consumeState(hash: taken.stateHash, now: hourAgo))
            // A callback took its state just before the flow's time ran out: it may still be
            // finishing (the janitor runs a minute later).
            let running = try await store.insertFlowDeduplicated(
                makeFlow(user: "d", now: now.addingTimeInterval(-590)), now: now.addingTimeInterval(-590))
            _ = try #require(try await store.consumeState(hash: running.stateHash, now: now))
            let later = now.addingTimeInterval(60)
            // Ended already: not failed again.
            var completed = try await store.insertFlowDeduplicated(makeFlow(user: "e", now: hourAgo), now: hourAgo)
            completed.status = .completed
            _ = try #require(try await store.updateFlow(completed, expectedVersion: completed.version))

            let failed = try await store.expireFlows(now: later, limit: 10)
            #expect(Set(failed.map(\.id)) == [expired.id, taken.id])
            #expect(failed.allSatisfy { $0.status == .failed })
            #expect(failed.first { $0.id == expired.id }?.failureReason == Flow.expiredReason)
            #expect(failed.first { $0.id == taken.id }?.failureReason == Flow.callbackInterruptedReason)
            #expect(try await store.flow(id: fresh.id)?.status == .pending)
            #expect(try await store.flow(id: running.id)?.status == .pending)
            #expect(try await store.flow(id: completed.id)?.status == .completed)
            #expect(try await store.expireFlows(now: later, limit: 10).isEmpty, "failed once")
        }
    }

    @Test(arguments: StoreBackend.available)
    func aRunFailsAtMostItsLimitSoonestExpiredFirst(backend: StoreBackend) async throws {
        try await backend.withStore { store in
            let now = Date()
            var flows: [Flow] = []
            for (n, age) in [300.0, 900, 600].enumerated() {
                let created = now.addingTimeInterval(-age - 600)
                flows.append(try await store.insertFlowDeduplicated(makeFlow(user: "u\(n)", now: created), now: created))
            }
            let first = try await store.expireFlows(now: now, limit: 2)
            #expect(Set(first.map(\.id)) == [flows[1].id, flows[2].id], "\(first.map(\.id)) of \(flows.map(\.id))")
            #expect(try await store.expireFlows(now: now, limit: 2).map(\.id) == [flows[0].id])
        }
    }
}
