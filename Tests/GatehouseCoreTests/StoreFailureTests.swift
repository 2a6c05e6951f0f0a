import Foundation
import GatehouseTestSupport
import GatehouseWire
import Logging
import Synchronization
import Testing

@testable import GatehouseCore

/// What a store call that fails, or whose answer is lost, leaves behind outside the token
/// writes (`GrantWriteTests`, `RefreshCoordinatorTests+WriteBack`): nothing half done.
@Suite struct StoreFailureTests {
    let cipher = try! TokenCipher(keys: [RootKey.generate(id: "k")], defaultKeyID: "k")

    static func storeAway() -> GatehouseError { GatehouseError(.storeUnavailable, "the store did not answer") }

    /// The provider is read before the connection is deleted: when that read fails, the delete
    /// fails with nothing done, rather than deleting the tokens and leaving the grant unrevoked.
    @Test func aDeleteWhoseProviderCannotBeReadDeletesNothing() async throws {
        try await StoreBackend.withSQLite { sqlite in
            let failing = Atomic(false)
            let store = InterposedStore(
                sqlite,
                before: { name in
                    if name == "providers", failing.load(ordering: .relaxed) { throw Self.storeAway() }
                })
            let registry = ProviderRegistry(store: store, cipher: cipher, catalog: ProviderCatalog([]))
            try await registry.create(refreshableProviderRequest(), source: .config)
            let broker = AuthBroker(
                store: store, notifier: LocalNotifier(), providers: registry, client: CountingProviderClient(),
                cipher: cipher,
                settings: BrokerSettings(
                    publicURL: "http://gh", defaultVerification: VerificationSetting(verifierURL: nil, unsafeSkip: true),
                    unsafeSkipAllowed: true),
                logger: Logger(label: "test"))
            let connection = try await storeStaleConnection(store, cipher: cipher)
            failing.store(true, ordering: .relaxed)
            await #expect(throws: GatehouseError.self) { try await broker.deleteConnection(id: connection.id) }
            #expect(try await sqlite.connection(id: connection.id) != nil)
            failing.store(false, ordering: .relaxed)
            #expect(try await broker.deleteConnection(id: connection.id) == .deleted)
        }
    }

    /// The continuation page's read fails: the page says the store is away and a reload may
    /// help (it only reads), as the callback's does.
    @Test func aContinuationWhoseReadFailsSaysTheStoreIsAway() async throws {
        try await StoreBackend.withSQLite { sqlite in
            let store = InterposedStore(sqlite, before: { name in if name == "flow" { throw Self.storeAway() } })
            let outcome = try await testBroker(store: store).continuation(verificationID: Flow.newVerificationID())
            guard case .failure(let reason, let detail) = outcome else {
                Issue.record("not a failure: \(outcome)")
                return
            }
            #expect(reason == .storeUnavailable(reloadable: true))
            #expect(detail == "continuation lookup failed: the store did not answer")
        }
    }

    /// A provider's delete committed, but its answer was lost: the registry does not go on
    /// serving the provider (and its deleted connections) from its cache.
    @Test func aProviderDeleteWhoseAnswerWasLostDropsTheCaches() async throws {
        try await StoreBackend.withSQLite { sqlite in
            let answerLost = Atomic(false)
            let store = InterposedStore(
                sqlite,
                after: { name in
                    if name == "deleteProvider", answerLost.load(ordering: .relaxed) { throw Self.storeAway() }
                })
            let connections = ConnectionCache()
            let registry = ProviderRegistry(
                store: store, cipher: cipher, catalog: ProviderCatalog([]), connections: connections)
            try await registry.create(refreshableProviderRequest(), source: .api)
            let connection = try await storeStaleConnection(store, cipher: cipher)
            _ = try await connections.connection(userID: "u", providerID: "p") { connection }
            #expect(try await registry.provider(id: "p") != nil)
            #expect(connections.count == 1)
            answerLost.store(true, ordering: .relaxed)
            await #expect(throws: GatehouseError.self) { try await registry.delete(id: "p") }
            #expect(try await registry.provider(id: "p") == nil)
            #expect(connections.count == 0)
        }
    }
}
