import Foundation
import GatehouseTestSupport
import GatehouseWire
import Logging
import Synchronization
import Testing

@testable import GatehouseCore

// A refresh slower than its lease, and a connection deleted while it is refreshed.
extension RefreshCoordinatorTests {
    /// The holder renews its lease while the provider is slow: another replica waits instead of
    /// refreshing with the same refresh token, which a provider that rotates them refuses, and
    /// the grant stays.
    @Test func aRefreshSlowerThanItsLeaseKeepsIt() async throws {
        try await StoreBackend.withSQLite { store in
            let client = CountingProviderClient(rotating: true, gated: true)
            let stale = try await storeStaleConnection(store, cipher: cipher)
            let first = coordinator(store, client, leaseDuration: 3)
            let second = coordinator(store, client, leaseDuration: 3)
            let refreshing = Task { try await first.refresh(stale, provider: testProvider) }
            #expect(try await eventually { client.refreshes == 1 })
            // Past the lease's first end: without renewal the second replica would take it over.
            try await Task.sleep(for: .milliseconds(4500))
            let waited = Mutex(false)
            let waiting = Task {
                _ = try? await second.refresh(stale, provider: testProvider)
                waited.withLock { $0 = true }
            }
            // It waits for the lease up to its length, and gives up without refreshing.
            #expect(try await eventually(.seconds(10)) { waited.withLock { $0 } || client.refreshes > 1 })
            #expect(client.refreshes == 1)
            client.release()
            #expect(try token(of: try await refreshing.value) == "refreshed-1")
            await waiting.value
            let stored = try #require(try await store.connection(id: stale.id))
            #expect(stored.status == .active)
            #expect(try token(of: stored) == "refreshed-1")
        }
    }

    /// Deleted while the provider refreshes it: the refresh says the connection is gone, and
    /// the grant the provider has just renewed is revoked there; when that try fails, the
    /// revocation is kept for the `RevocationRetrier`, as the delete's own is.
    @Test(arguments: [false, true])
    func aConnectionDeletedDuringItsRefreshIsGone(revocationFails: Bool) async throws {
        try await StoreBackend.withSQLite { store in
            var provider = testProvider
            provider.oauth2.tokenRevocationRequest = RequestConfig(endpoint: "https://p.example/revoke")
            let (client, stale, refreshing) = try await refreshHeldAtProvider(store, provider: provider)
            #expect(try await store.deleteConnection(id: stale.id) != nil)
            if revocationFails { client.failRevocations(with: ProviderCallError(.transient, "HTTP 503")) }
            client.release()
            await #expect(performing: { try await refreshing.value }, throws: isGone)
            #expect(client.revocationTries == 1)
            let kept = try await store.dueRevocations(now: .distantFuture, limit: 5)
            guard revocationFails else {
                #expect(client.revoked == ["rt-1"] && kept.isEmpty)
                return
            }
            let renewed = try #require(kept.first)
            #expect(renewed.id.hasPrefix(stale.id + PendingRevocation.renewedSuffix + "-") && renewed.attempts == 1)
            let tokens = try cipher.open(
                TokenSet.self, from: renewed.sealedTokens,
                context: Connection.cipherContext(providerID: "p", userID: stale.userID))
            #expect(tokens.refreshToken == "rt-1")
        }
    }

    /// A new consent while the old grant's refresh is at the provider: the refresh stores
    /// nothing, and those waiting for it get the new grant (the refreshed one is not revoked).
    @Test func aConsentDuringARefreshServesItsWaiters() async throws {
        try await StoreBackend.withSQLite { store in
            let (client, stale, refreshing) = try await refreshHeldAtProvider(store)
            let now = Date()
            let fresh = TokenSet(
                accessToken: "consented", refreshToken: "rt-new", tokenType: "Bearer", obtainedAt: now,
                expiresAt: now.addingTimeInterval(3600), scopes: ["a"])
            var consent = stale
            consent.sealedTokens = try cipher.seal(
                json: fresh, context: Connection.cipherContext(providerID: "p", userID: stale.userID))
            consent.expiresAt = fresh.expiresAt
            _ = try await store.upsertConnection(consent)
            client.release()
            #expect(try token(of: try await refreshing.value) == "consented")
            #expect(try token(of: try #require(try await store.connection(id: stale.id))) == "consented")
            #expect(client.revoked.isEmpty)
        }
    }

    /// A replica whose cache still held a connection deleted elsewhere does not wait out a
    /// lease (30 s) on a row that is gone.
    @Test func aRefreshOfADeletedConnectionIsGoneAtOnce() async throws {
        try await StoreBackend.withSQLite { store in
            let client = CountingProviderClient()
            let stale = try await storeStaleConnection(store, cipher: cipher)
            _ = try await store.deleteConnection(id: stale.id)
            let started = ContinuousClock.now
            await #expect(
                performing: { try await coordinator(store, client).refresh(stale, provider: testProvider) }, throws: isGone)
            #expect(ContinuousClock.now - started < .seconds(10))
            #expect(client.refreshes == 0)
        }
    }

    /// A stale connection whose refresh has reached the provider, which holds it until
    /// `client.release()`.
    func refreshHeldAtProvider(_ store: any Store, provider: Provider = testProvider) async throws
        -> (client: CountingProviderClient, stale: Connection, refreshing: Task<Connection, any Error>)
    {
        let client = CountingProviderClient(gated: true)
        let stale = try await storeStaleConnection(store, cipher: cipher)
        let refreshing = Task { try await coordinator(store, client).refresh(stale, provider: provider) }
        #expect(try await eventually { client.refreshes == 1 })
        return (client, stale, refreshing)
    }

    func isGone(_ error: any Error) -> Bool {
        if case RefreshCoordinator.Failure.gone = error { return true }
        return false
    }

    /// The delete has answered while a request waited for the refresh of a token that has not
    /// expired yet: the request gets a new authorization, not the deleted grant's token.
    @Test func anAuthorizeDuringADeleteGetsNoToken() async throws {
        try await StoreBackend.withSQLite { store in
            let client = CountingProviderClient(gated: true)
            let registry = ProviderRegistry(store: store, cipher: cipher, catalog: ProviderCatalog([]))
            try await registry.create(refreshableProviderRequest(), source: .config)
            let broker = AuthBroker(
                store: store, notifier: LocalNotifier(), providers: registry, client: client, cipher: cipher,
                settings: settings, logger: Logger(label: "test"))
            // Within the refresh skew, but not expired: a failed refresh would hand it out.
            let now = Date()
            let tokens = TokenSet(
                accessToken: "old", refreshToken: "rt-0", tokenType: "Bearer", obtainedAt: now.addingTimeInterval(-3540),
                expiresAt: now.addingTimeInterval(60), scopes: ["a"])
            let connection = try await store.upsertConnection(
                Connection(
                    id: "uc_1", userID: "u", providerID: "p", scopes: ["a", "b"],
                    sealedTokens: try cipher.seal(json: tokens, context: Connection.cipherContext(providerID: "p", userID: "u")),
                    expiresAt: tokens.expiresAt, userInfo: nil, status: .active, authID: "ac_1", createdAt: now, updatedAt: now))
            let request = AuthorizationRequest(
                authRequirement: .init(providerID: "p", oauth2: .init(scopes: ["a"])), userID: "u")
            let authorizing = Task { try await broker.authorize(request) }
            #expect(try await eventually { client.refreshes == 1 })
            #expect(try await broker.deleteConnection(id: connection.id) == .deleted)
            client.release()
            let answer = try await authorizing.value
            #expect(answer.status == .pending && answer.context == nil)
            // The deleted grant's scopes are not asked for again.
            #expect(answer.scopes == ["a"])
        }
    }
}
