import Foundation
import GatehouseCore
import GatehouseTestSupport
import Testing

// A new template fails the provider's open flows in the change's transaction
// (`ProviderReplacement`): a grant exchanged under the old one is never stored under the new.
extension ProviderGrantsContractTests {
    static func record(_ id: String, template: String) -> ProviderRecord {
        var record = record(id)
        record.templateJSON = Array(template.utf8)
        return record
    }

    /// An open flow of `user` with provider `p`, and one with its grant parked for verification.
    static func openFlows(_ store: any Store, user: String) async throws -> (open: Flow, parked: Flow) {
        let open = try await store.insertFlowDeduplicated(makeFlow(user: user, provider: "p"), now: Date())
        let taken = try #require(try await store.consumeState(hash: open.stateHash, now: Date()))
        var parked = try await store.insertFlowDeduplicated(makeFlow(user: user + "-b", provider: "p"), now: Date())
        let version = parked.version
        parked.sealedTokens = [9, 9, 9]
        parked.verificationHash = "vh-" + user
        parked = try #require(try await store.updateFlow(parked, expectedVersion: version))
        return (taken, parked)
    }

    @Test(arguments: StoreBackend.available)
    func aNewTemplateFailsTheOpenFlowsAndNothingElseDoes(backend: StoreBackend) async throws {
        try await backend.withStore { store in
            try await store.insertProvider(Self.record("p", template: "{}"))
            let (open, parked) = try await Self.openFlows(store, user: "t1")
            let other = try await store.insertFlowDeduplicated(makeFlow(user: "t1", provider: "q"), now: Date())
            // What the template does not hold changes no flow.
            var described = Self.record("p", template: "{}")
            described.description = "two"
            described.enabled = false
            described.sealedSecret = [4, 5, 6]
            #expect(try await store.updateProvider(id: "p", with: described) == ProviderReplacement())
            #expect(try await store.flow(id: open.id)?.status == .pending)

            let replacement = try await store.updateProvider(id: "p", with: Self.record("p", template: #"{"a":1}"#))
            #expect(replacement?.failedFlowIDs.sorted() == [open.id, parked.id].sorted())
            for id in [open.id, parked.id] {
                let failed = try #require(try await store.flow(id: id))
                #expect(failed.status == .failed)
                #expect(failed.failureReason == Flow.providerChangedReason)
                #expect(failed.sealedTokens == nil)
            }
            #expect(try await store.flow(id: other.id)?.status == .pending)
            // A callback that exchanged the code meanwhile finds its flow changed and stores nothing.
            var completed = parked
            completed.status = .completed
            let connection = try await storeStaleConnection(
                store, cipher: TokenCipher(keys: [RootKey.generate(id: "k")], defaultKeyID: "k"), user: "t1-b")
            _ = try await store.deleteConnection(id: connection.id)
            #expect(try await store.completeFlow(completed, expectedVersion: parked.version, connection: connection) == nil)
            #expect(try await store.connection(userID: "t1-b", providerID: "p") == nil)
            // The dedupe key is free: the next start opens a new flow.
            let next = try await store.insertFlowDeduplicated(makeFlow(user: "t1", provider: "p"), now: Date())
            #expect(next.id != open.id)
        }
    }

    @Test(arguments: StoreBackend.available)
    func aConfigFilesNewTemplateFailsTheOpenFlowsAndTheSameOneDoesNot(backend: StoreBackend) async throws {
        try await backend.withStore { store in
            #expect(try await store.upsertProvider(Self.record("p", template: "{}")) == ProviderReplacement())
            let (open, parked) = try await Self.openFlows(store, user: "t2")
            var again = Self.record("p", template: "{}")
            again.sealedSecret = [7, 7]
            #expect(try await store.upsertProvider(again) == ProviderReplacement())
            #expect(try await store.flow(id: open.id)?.status == .pending)
            let replacement = try await store.upsertProvider(Self.record("p", template: #"{"b":2}"#))
            #expect(replacement.failedFlowIDs.sorted() == [open.id, parked.id].sorted())
            #expect(try await store.flow(id: parked.id)?.failureReason == Flow.providerChangedReason)
        }
    }

    @Test(arguments: StoreBackend.available)
    func aRefusedChangeFailsNoFlow(backend: StoreBackend) async throws {
        try await backend.withStore { store in
            try await store.insertProvider(Self.record("p", template: "{}"))
            let held = try await Self.grant(store, user: "t3", provider: "p")
            let (open, _) = try await Self.openFlows(store, user: "t3-open")
            await #expect(throws: GatehouseError.self) {
                try await store.updateProvider(
                    id: "p", with: Self.record("p", template: #"{"c":3}"#), unlessConnected: GatehouseError(.conflict, "moves"),
                    basedOn: nil)
            }
            #expect(try await store.flow(id: open.id)?.status == .pending)
            #expect(try await store.flow(id: held.1.id)?.status == .pending)
        }
    }
}
