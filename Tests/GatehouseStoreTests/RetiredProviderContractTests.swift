import Foundation
import GatehouseCore
import GatehouseTestSupport
import GatehouseWire
import Testing

/// The `Store` contract for a provider deleted while its template can revoke grants, on every
/// backend: its users' grants are queued in the delete's transaction, through the provider as it
/// was (`RetiredProvider`), which nothing done later under its id changes or removes.
@Suite struct RetiredProviderContractTests {
    static let deletedAt = Date(timeIntervalSince1970: 1_700_000_100.5)

    /// Provider `id` as stored, with a revocation request at https://p.example unless `revoking`
    /// is false.
    static func record(_ id: String, revoking: Bool = true, secret: [UInt8] = [1, 2, 3]) -> ProviderRecord {
        var template = refreshableProviderRequest().oauth2!
        if revoking { template.tokenRevocationRequest = RequestConfig(endpoint: "https://p.example/revoke") }
        var record = ProviderGrantsContractTests.record(id)
        record.templateJSON = Array(try! JSONEncoder.sorted.encode(template))
        record.sealedSecret = secret
        return record
    }

    func pending(_ store: any Store) async throws -> [PendingRevocation] {
        try await store.dueRevocations(now: .distantFuture, limit: 100).sorted { $0.userID < $1.userID }
    }

    @Test(arguments: StoreBackend.available)
    func aDeleteQueuesEveryGrantThroughTheProviderAsItWas(backend: StoreBackend) async throws {
        try await backend.withStore { store in
            let record = Self.record("p")
            try await store.insertProvider(record)
            let (a, _) = try await ProviderGrantsContractTests.grant(store, user: "a", provider: "p")
            let (b, _) = try await ProviderGrantsContractTests.grant(store, user: "b", provider: "p")
            // One revocation of the provider already waits, tried once.
            let (earlier, _) = try await ProviderGrantsContractTests.grant(store, user: "0-earlier", provider: "p")
            let before = RevocationContractTests.order(at: Self.deletedAt - 600)
            _ = try #require(try await store.deleteConnection(id: earlier.id, queueing: before))
            try await store.postponeRevocation(id: earlier.id, until: Self.deletedAt + 60, reason: "HTTP 503")
            let (other, _) = try await ProviderGrantsContractTests.grant(store, user: "z", provider: "q")

            #expect(try await store.deleteProvider(id: "p", revokingAt: Self.deletedAt) == record)
            #expect(try await store.connection(id: a.id) == nil)
            #expect(try await store.connection(id: b.id) == nil)
            #expect(try await store.connection(id: other.id) != nil)
            let queued = try await pending(store)
            let key = try #require(queued.first?.retiredProvider)
            #expect(queued.map(\.id) == [earlier.id, a.id + "." + key, b.id + "." + key])
            #expect(queued.allSatisfy { $0.retiredProvider == key })
            // Each grant as its connection had it, due at once.
            var expected = PendingRevocation(
                of: a, RevocationOrder(deletedAt: Self.deletedAt, destination: "https://p.example"))
            expected.id = a.id + "." + key
            expected.nextAttemptAt = Self.deletedAt
            expected.retiredProvider = key
            #expect(queued[1] == expected)
            // The one that waited keeps its own times and tries.
            #expect(queued[0].attempts == 1 && queued[0].createdAt == Self.deletedAt - 600)
            #expect(queued[0].nextAttemptAt == Self.deletedAt + 60)
            #expect(
                try await store.retiredProvider(key: key)
                    == RetiredProvider(key: key, record: record, retiredAt: Self.deletedAt))
            // Its secret is found, with the associated data it was sealed with, for `reencrypt`.
            #expect(
                try await store.sealedFields(.retiredProviderSecret)
                    == [SealedField(kind: .retiredProviderSecret, rowID: key, context: "provider:p", blob: [1, 2, 3])])
            // Skipped as the provider it goes through, not as the provider of its id.
            #expect(try await store.dueRevocations(now: .distantFuture, limit: 10, excluding: ["p"]).count == 3)
            #expect(try await store.dueRevocations(now: .distantFuture, limit: 10, excluding: [key]).isEmpty)
            #expect(try await store.dropRetiredProviders() == 0)
            for revocation in queued { #expect(try await store.deleteRevocation(id: revocation.id)) }
            #expect(try await store.dropRetiredProviders() == 1)
            #expect(try await store.retiredProvider(key: key) == nil)
        }
    }

    /// A provider of the id made later, changed, renamed or deleted again does not take the
    /// retired provider's revocations with it: they go to the server the grants came from. A
    /// second delete of the id keeps a provider of its own.
    @Test(arguments: StoreBackend.available)
    func nothingDoneLaterUnderTheIdRemovesThem(backend: StoreBackend) async throws {
        try await backend.withStore { store in
            try await store.insertProvider(Self.record("p"))
            _ = try await ProviderGrantsContractTests.grant(store, user: "a", provider: "p")
            _ = try await store.deleteProvider(id: "p", revokingAt: Self.deletedAt)
            #expect(try await pending(store).count == 1)
            try await store.insertProvider(Self.record("p"))
            let moved = GatehouseError(.conflict, "moves")
            _ = try await store.updateProvider(
                id: "p", with: Self.record("p", secret: [4]), unlessConnected: moved, basedOn: nil)
            _ = try await store.updateProvider(id: "p", with: Self.record("r"))
            try await store.insertProvider(Self.record("p", secret: [5]))
            _ = try await ProviderGrantsContractTests.grant(store, user: "b", provider: "p")
            _ = try await store.deleteProvider(id: "p", revokingAt: Self.deletedAt + 1)
            let left = try await pending(store)
            #expect(left.map(\.userID) == ["a", "b"])
            let keys = left.compactMap(\.retiredProvider)
            #expect(Set(keys).count == 2)
            #expect(try await store.retiredProvider(key: keys[0])?.record.sealedSecret == [1, 2, 3])
            #expect(try await store.retiredProvider(key: keys[1])?.record.sealedSecret == [5])
        }
    }

    /// Without a time, or a template that can revoke, the provider's grants and pending
    /// revocations go with it, and nothing is kept.
    @Test(arguments: StoreBackend.available)
    func withoutARevocationRequestNothingIsKept(backend: StoreBackend) async throws {
        try await backend.withStore { store in
            for (id, revokingAt) in [("p", nil), ("q", Self.deletedAt)] {
                try await store.insertProvider(Self.record(id, revoking: id == "p"))
                let (a, _) = try await ProviderGrantsContractTests.grant(store, user: "a", provider: id)
                let (b, _) = try await ProviderGrantsContractTests.grant(store, user: "b", provider: id)
                _ = try await store.deleteConnection(id: b.id, queueing: RevocationContractTests.order())
                #expect(try await store.deleteProvider(id: id, revokingAt: revokingAt) != nil)
                #expect(try await store.connection(id: a.id) == nil)
                #expect(try await pending(store).isEmpty)
            }
            try await store.insertProvider(Self.record("empty"))
            #expect(try await store.deleteProvider(id: "empty", revokingAt: Self.deletedAt) != nil)
            // A template that breaks a rule (a revocation by GET would put the token in the URL):
            // its grants are not sent through it.
            var broken = Self.record("broken")
            var template = try JSONDecoder().decode(OAuth2Config.self, from: Data(broken.templateJSON))
            template.tokenRevocationRequest?.method = "GET"
            broken.templateJSON = Array(try JSONEncoder.sorted.encode(template))
            try await store.insertProvider(broken)
            _ = try await ProviderGrantsContractTests.grant(store, user: "a", provider: "broken")
            #expect(try await store.deleteProvider(id: "broken", revokingAt: Self.deletedAt) != nil)
            #expect(try await pending(store).isEmpty)
            #expect(try await store.exportAll().retiredProviders.isEmpty)
        }
    }

    /// A grant renewed by a refresh while its provider was deleted, queued after the delete,
    /// goes through the deleted provider as it was; once a provider has the id again, not.
    @Test(arguments: StoreBackend.available)
    func aRevocationQueuedAfterItsProvidersDeleteGoesThroughIt(backend: StoreBackend) async throws {
        try await backend.withStore { store in
            try await store.insertProvider(Self.record("p"))
            let (a, _) = try await ProviderGrantsContractTests.grant(store, user: "a", provider: "p")
            _ = try await store.deleteProvider(id: "p", revokingAt: Self.deletedAt)
            let key = try #require(try await pending(store).first?.retiredProvider)
            let renewed = PendingRevocation(
                id: a.id + ".renewed-1", userID: "a", providerID: "p", sealedTokens: [7], userInfo: nil,
                createdAt: Self.deletedAt, nextAttemptAt: Self.deletedAt + 120, destination: "https://p.example")
            try await store.queueRevocation(renewed)
            try await store.insertProvider(Self.record("p"))
            var later = renewed
            later.id = a.id + ".renewed-2"
            try await store.queueRevocation(later)
            let queued = try await store.dueRevocations(now: .distantFuture, limit: 10)
            #expect(queued.first { $0.id == renewed.id }?.retiredProvider == key)
            #expect(queued.first { $0.id == later.id }.map { $0.retiredProvider == nil } == true)
        }
    }
}
