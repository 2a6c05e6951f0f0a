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
            // An expired holder gives way; it is failed (and counted) by whoever finds it next.
            let later = now.addingTimeInterval(601)
            let fresh = try await store.insertFlowDeduplicated(makeFlow(now: later), now: later)
            #expect(fresh.id != first.id)
            #expect(try await store.flow(id: first.id)?.status == .pending)
            #expect(try await store.expireFlows(now: later, limit: 10).map(\.id).contains(first.id))
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

    @Test(arguments: StoreBackend.available)
    func completingAFlowStoresItsConnectionInTheSameTransaction(backend: StoreBackend) async throws {
        try await backend.withStore { store in
            let cipher = try TokenCipher(keys: [RootKey.generate(id: "k")], defaultKeyID: "k")
            let template = try await storeStaleConnection(store, cipher: cipher, user: "someone")
            let flow = try await store.insertFlowDeduplicated(makeFlow(user: "w"), now: Date())
            var completed = flow
            completed.status = .completed
            var connection = template
            connection.id = "uc_w"
            connection.userID = "w"
            connection.authID = flow.id

            // A stale version writes neither.
            #expect(try await store.completeFlow(completed, expectedVersion: flow.version + 1, connection: connection) == nil)
            #expect(try await store.connection(userID: "w", providerID: "p") == nil)
            #expect(try await store.flow(id: flow.id)?.status == .pending)

            // A connection that cannot be written (its id is another user's) undoes the flow's write.
            var clashing = connection
            clashing.id = template.id
            await #expect(throws: (any Error).self) {
                try await store.completeFlow(completed, expectedVersion: flow.version, connection: clashing)
            }
            #expect(try await store.flow(id: flow.id)?.version == flow.version)
            #expect(try await store.connection(userID: "w", providerID: "p") == nil)

            let stored = try #require(
                try await store.completeFlow(completed, expectedVersion: flow.version, connection: connection))
            #expect(stored.id == "uc_w" && stored.authID == flow.id)
            let after = try #require(try await store.flow(id: flow.id))
            #expect(after.status == .completed && after.version == flow.version + 1)
            #expect(try await store.completeFlow(completed, expectedVersion: flow.version, connection: connection) == nil)
            #expect(try await store.connection(userID: "w", providerID: "p")?.version == stored.version)
        }
    }

    @Test(arguments: StoreBackend.available)
    func statementsBesideAFailedCompletionAreKept(backend: StoreBackend) async throws {
        try await backend.withStore { store in
            let cipher = try TokenCipher(keys: [RootKey.generate(id: "k")], defaultKeyID: "k")
            let template = try await storeStaleConnection(store, cipher: cipher, user: "someone")
            var flows: [Flow] = []
            for n in 0..<20 { flows.append(try await store.insertFlowDeduplicated(makeFlow(user: "f\(n)"), now: Date())) }
            // Completions that roll back (their connection's id clashes) run among plain writes; on
            // one shared connection, a write that landed inside such a transaction would be undone.
            try await withThrowingTaskGroup(of: Void.self) { group in
                for (n, flow) in flows.enumerated() {
                    group.addTask {
                        var completed = flow
                        completed.status = .completed
                        var clashing = template
                        clashing.userID = flow.userID
                        _ = try? await store.completeFlow(completed, expectedVersion: flow.version, connection: clashing)
                    }
                    group.addTask {
                        var plain = template
                        plain.id = "uc_plain\(n)"
                        plain.userID = "plain\(n)"
                        _ = try await store.upsertConnection(plain)
                    }
                }
                try await group.waitForAll()
            }
            #expect(try await store.connections(ConnectionQuery(limit: 100)).total == 21)
            for flow in flows { #expect(try await store.flow(id: flow.id)?.status == .pending) }
        }
    }
}
