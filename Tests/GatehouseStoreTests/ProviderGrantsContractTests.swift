import Foundation
import GatehouseCore
import GatehouseTestSupport
import Testing

/// The `Store` contract for a provider's grants: they go with the provider, and never pass to a
/// later provider that takes its id; on every backend.
@Suite struct ProviderGrantsContractTests {
    static func record(_ id: String, description: String = "one") -> ProviderRecord {
        let now = Date(timeIntervalSince1970: 1_700_000_000)
        return ProviderRecord(
            id: id, description: description, providerType: "", enabled: true, source: "api",
            templateJSON: Array("{}".utf8), sealedSecret: [1, 2, 3], secretHint: "abcd", createdAt: now, updatedAt: now)
    }

    /// A connection of `user` with `provider`, and an open flow of theirs: what a grant leaves.
    static func grant(_ store: any Store, user: String, provider: String) async throws -> (Connection, Flow) {
        let cipher = try TokenCipher(keys: [RootKey.generate(id: "k")], defaultKeyID: "k")
        var connection = try await storeStaleConnection(store, cipher: cipher, user: user)
        if provider != connection.providerID {
            _ = try await store.deleteConnection(id: connection.id)
            connection.providerID = provider
            connection = try await store.upsertConnection(connection)
        }
        let flow = try await store.insertFlowDeduplicated(makeFlow(user: user, provider: provider), now: Date())
        return (connection, flow)
    }

    static func held(_ store: any Store, _ grant: (Connection, Flow)) async throws -> (connection: Bool, flow: Bool) {
        (
            try await store.connection(userID: grant.0.userID, providerID: grant.0.providerID) != nil,
            try await store.flow(id: grant.1.id) != nil
        )
    }

    @Test(arguments: StoreBackend.available)
    func aDeletedProvidersGrantsGoWithIt(backend: StoreBackend) async throws {
        try await backend.withStore { store in
            try await store.insertProvider(Self.record("p"))
            let mine = try await Self.grant(store, user: "u1", provider: "p")
            let another = try await Self.grant(store, user: "u1", provider: "q")
            #expect(try await store.deleteProvider(id: "p") == Self.record("p"))
            #expect(try await Self.held(store, mine) == (false, false))
            #expect(try await Self.held(store, another) == (true, true))
        }
    }

    // Grants stored under an id with no provider (left by a version that kept them when their
    // provider was deleted) are another server's: a new provider of that id does not get them.
    @Test(arguments: StoreBackend.available)
    func aNewProviderDoesNotInheritGrantsLeftUnderItsID(backend: StoreBackend) async throws {
        try await backend.withStore { store in
            let left = try await Self.grant(store, user: "u2", provider: "p")
            try await store.insertProvider(Self.record("p"))
            #expect(try await Self.held(store, left) == (false, false))
            // A refused insert (the id is taken) deletes nothing.
            let kept = try await Self.grant(store, user: "u3", provider: "p")
            await #expect(throws: GatehouseError.self) { try await store.insertProvider(Self.record("p")) }
            #expect(try await Self.held(store, kept) == (true, true))
        }
    }

    @Test(arguments: StoreBackend.available)
    func aRenameIsRefusedWhileConnectionsAreHeldAndDeletesFlowsAndLeftovers(backend: StoreBackend) async throws {
        try await backend.withStore { store in
            try await store.insertProvider(Self.record("p"))
            let old = try await Self.grant(store, user: "u4", provider: "p")
            let leftOver = try await Self.grant(store, user: "u5", provider: "r")
            // The refusal is the store's own, in the rename's transaction: a connection that a
            // flow completes after the caller looked is not deleted by the rename.
            let refused = await #expect(throws: GatehouseError.self) {
                try await store.updateProvider(id: "p", with: Self.record("r"))
            }
            #expect(refused?.code == .conflict)
            #expect(try await Self.held(store, old) == (true, true))
            #expect(try await Self.held(store, leftOver) == (true, true))
            #expect(try await store.provider(id: "p") != nil)
            _ = try await store.deleteConnection(id: old.0.id)
            #expect(try await store.updateProvider(id: "p", with: Self.record("r")) != nil)
            #expect(try await Self.held(store, old) == (false, false))
            #expect(try await Self.held(store, leftOver) == (false, false))
            let current = try await Self.grant(store, user: "u6", provider: "r")
            #expect(try await store.updateProvider(id: "r", with: Self.record("r", description: "two")) != nil)
            #expect(try await Self.held(store, current) == (true, true))
        }
    }

    /// A change that would send the stored grants' tokens somewhere new (`unlessConnected`) is
    /// refused with the caller's error while any grant is held, in the change's transaction.
    @Test(arguments: StoreBackend.available)
    func aChangeRefusedWhileConnectionsAreHeldChangesNothing(backend: StoreBackend) async throws {
        try await backend.withStore { store in
            try await store.insertProvider(Self.record("p"))
            let held = try await Self.grant(store, user: "u7", provider: "p")
            let moved = GatehouseError(.conflict, "moves")
            let refused = await #expect(throws: GatehouseError.self) {
                try await store.updateProvider(
                    id: "p", with: Self.record("p", description: "moved"), unlessConnected: moved, basedOn: nil)
            }
            #expect(refused?.message == "moves")
            #expect(try await store.provider(id: "p")?.description != "moved")
            #expect(try await Self.held(store, held) == (true, true))
            _ = try await store.deleteConnection(id: held.0.id)
            #expect(
                try await store.updateProvider(
                    id: "p", with: Self.record("p", description: "moved"), unlessConnected: moved, basedOn: nil)
                    != nil)
            #expect(try await store.provider(id: "p")?.description == "moved")
        }
    }
}
