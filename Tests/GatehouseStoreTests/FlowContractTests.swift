import Foundation
import GatehouseCore
import GatehouseTestSupport
import Testing

/// The `Store` contract for flows: deduplication, the verification leg's lookup, the dashboard's
/// list; on every backend.
@Suite struct FlowContractTests {
    @Test(arguments: StoreBackend.available)
    func identicalOpenFlowsAreDeduplicated(backend: StoreBackend) async throws {
        try await backend.withStore { store in
            let now = Date()
            let first = try await store.insertFlowDeduplicated(makeFlow(now: now), now: now)
            let second = try await store.insertFlowDeduplicated(makeFlow(now: now), now: now)
            #expect(second.id == first.id && second.sealedURL == first.sealedURL)
            let other = try await store.insertFlowDeduplicated(makeFlow(scopes: ["b"], now: now), now: now)
            #expect(other.id != first.id)
            // An expired holder gives way.
            let later = now.addingTimeInterval(601)
            let fresh = try await store.insertFlowDeduplicated(makeFlow(now: later), now: later)
            #expect(fresh.id != first.id)
            #expect(try await store.flow(id: first.id)?.status == .failed)
        }
    }

    @Test(arguments: StoreBackend.available)
    func flowsAreFoundByVerificationHash(backend: StoreBackend) async throws {
        try await backend.withStore { store in
            let flow = try await store.insertFlowDeduplicated(makeFlow(), now: Date())
            var verifying = flow
            verifying.verificationHash = "vh"
            verifying.sealedTokens = [9]
            verifying.userInfo = ["sub": .string("1")]
            // A verification leg through the app's sign-in keeps its own PKCE verifier.
            verifying.sealedVerifier = [7, 7]
            _ = try await store.updateFlow(verifying, expectedVersion: flow.version)
            let found = try #require(try await store.flow(verificationHash: "vh"))
            #expect(found.id == flow.id && found.sealedTokens == [9] && found.userInfo == ["sub": .string("1")])
            #expect(found.sealedVerifier == [7, 7])
            #expect(try await store.flow(verificationHash: "other") == nil)
        }
    }

    @Test(arguments: StoreBackend.available)
    func openFlowsArePendingAndUnexpiredNewestFirst(backend: StoreBackend) async throws {
        try await backend.withStore { store in
            let now = Date()
            let old = try await store.insertFlowDeduplicated(makeFlow(user: "a", now: now.addingTimeInterval(-10)), now: now)
            let new = try await store.insertFlowDeduplicated(makeFlow(user: "b", now: now), now: now)
            let ended = try await store.insertFlowDeduplicated(makeFlow(user: "c", now: now), now: now)
            var failed = ended
            failed.status = .failed
            _ = try await store.updateFlow(failed, expectedVersion: ended.version)
            _ = try await store.insertFlowDeduplicated(makeFlow(user: "d", now: now.addingTimeInterval(-700)), now: now)
            #expect(try await store.openFlows(now: now, limit: 10).map(\.id) == [new.id, old.id])
            #expect(try await store.openFlows(now: now, limit: 1).map(\.id) == [new.id])
        }
    }
}
