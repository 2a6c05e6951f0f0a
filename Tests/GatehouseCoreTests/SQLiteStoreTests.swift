import Foundation
import Logging
import Testing

@testable import GatehouseCore

@Suite struct SQLiteStoreTests {
    @Test func identicalOpenFlowsAreDeduplicated() async throws {
        try await withStore { store in
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

    @Test func stateIsSingleUseAndExpires() async throws {
        try await withStore { store in
            let now = Date()
            let flow = try await store.insertFlowDeduplicated(makeFlow(now: now), now: now)
            #expect(try await store.consumeState(hash: flow.stateHash, now: now.addingTimeInterval(601)) == nil)
            let consumed = try #require(try await store.consumeState(hash: flow.stateHash, now: now))
            #expect(consumed.id == flow.id && consumed.stateUsed)
            #expect(try await store.consumeState(hash: flow.stateHash, now: now) == nil)
            // Once its state is used, the flow no longer holds the dedupe key.
            #expect(try await store.insertFlowDeduplicated(makeFlow(now: now), now: now).id != flow.id)
        }
    }

    @Test func flowUpdatesAreOptimistic() async throws {
        try await withStore { store in
            let flow = try await store.insertFlowDeduplicated(makeFlow(), now: Date())
            var failed = flow
            failed.status = .failed
            let stored = try #require(try await store.updateFlow(failed, expectedVersion: flow.version))
            #expect(stored.version == flow.version + 1 && stored.status == .failed)
            #expect(try await store.updateFlow(failed, expectedVersion: flow.version) == nil)
        }
    }

    @Test func connectionsUpsertByUserAndProviderAndPage() async throws {
        try await withStore { store in
            let cipher = try TokenCipher(keys: [RootKey.generate(id: "k")], defaultKeyID: "k")
            let first = try await storeStaleConnection(store, cipher: cipher, user: "u1")
            var again = first
            again.id = "uc_other"
            again.scopes = ["a", "b"]
            let replaced = try await store.upsertConnection(again)
            #expect(replaced.id == first.id && replaced.scopes == ["a", "b"] && replaced.version == first.version + 1)
            for user in ["u2", "u3"] { _ = try await storeStaleConnection(store, cipher: cipher, user: user) }
            let page = try await store.connections(ConnectionQuery(limit: 2, offset: 1))
            #expect(page.total == 3 && page.items.map(\.userID) == ["u2", "u3"])
            let one = try await store.connections(ConnectionQuery(userID: "u2", providerID: "p"))
            #expect(one.total == 1 && one.items.first?.userID == "u2")
            #expect(try await store.connections(ConnectionQuery(providerID: "nope")).total == 0)
            #expect(try await store.deleteConnection(id: first.id))
            #expect(!(try await store.deleteConnection(id: first.id)))
        }
    }

    @Test func refreshLeaseIsExclusive() async throws {
        try await withStore { store in
            let cipher = try TokenCipher(keys: [RootKey.generate(id: "k")], defaultKeyID: "k")
            let connection = try await storeStaleConnection(store, cipher: cipher)
            let now = Date()
            #expect(
                try await store.acquireRefreshLease(connectionID: connection.id, owner: "a", until: now + 30, now: now) != nil)
            #expect(
                try await store.acquireRefreshLease(connectionID: connection.id, owner: "b", until: now + 30, now: now) == nil)
            // A lapsed lease can be taken over.
            #expect(
                try await store.acquireRefreshLease(connectionID: connection.id, owner: "b", until: now + 90, now: now + 31)
                    != nil)
            try await store.releaseRefreshLease(connectionID: connection.id, owner: "a", status: .active)
            #expect(
                try await store.acquireRefreshLease(connectionID: connection.id, owner: "c", until: now + 30, now: now + 32)
                    == nil)
        }
    }

    @Test func oldEndedFlowsAreSweptUnlessAConnectionNamesThem() async throws {
        try await withStore { store in
            let cipher = try TokenCipher(keys: [RootKey.generate(id: "k")], defaultKeyID: "k")
            let long = Date().addingTimeInterval(-30 * 24 * 3600)
            let ended = try await store.insertFlowDeduplicated(makeFlow(user: "a", now: long), now: long)
            var failed = ended
            failed.status = .failed
            _ = try await store.updateFlow(failed, expectedVersion: ended.version)
            let expired = try await store.insertFlowDeduplicated(makeFlow(user: "b", now: long), now: long)
            let named = try await store.insertFlowDeduplicated(makeFlow(user: "c", now: long), now: long)
            var connection = try await storeStaleConnection(store, cipher: cipher, user: "c")
            connection.authID = named.id
            _ = try await store.upsertConnection(connection)
            let recent = try await store.insertFlowDeduplicated(makeFlow(user: "d"), now: Date())

            let janitor = FlowJanitor(store: store, logger: Logger(label: "test"))
            await janitor.sweep()
            #expect(try await store.flow(id: ended.id) == nil)
            #expect(try await store.flow(id: expired.id) == nil)
            #expect(try await store.flow(id: named.id) != nil)
            #expect(try await store.flow(id: recent.id) != nil)
        }
    }
}
