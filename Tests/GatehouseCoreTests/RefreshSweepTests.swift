import Foundation
import GatehouseTestSupport
import GatehouseWire
import Logging
import Testing

@testable import GatehouseCore

/// The background sweep: expiring tokens and idle refresh tokens are refreshed without a read;
/// a refused grant is marked for re-authorization; fresh, recently used connections are left.
@Suite struct RefreshSweepTests {
    let cipher = try! TokenCipher(keys: [RootKey.generate(id: "k")], defaultKeyID: "k")

    func connection(
        _ store: any Store, user: String, expiresIn: TimeInterval, updatedAgo: TimeInterval, refreshToken: String? = "rt-0"
    ) async throws -> Connection {
        let now = Date()
        let tokens = TokenSet(
            accessToken: "old-\(user)", refreshToken: refreshToken, tokenType: "Bearer", obtainedAt: now.addingTimeInterval(-60),
            expiresAt: now.addingTimeInterval(expiresIn), scopes: ["a"])
        return try await store.upsertConnection(
            Connection(
                id: SecureRandom.identifier(prefix: "uc_"), userID: user, providerID: "p", scopes: ["a"],
                sealedTokens: try cipher.seal(json: tokens, context: Connection.cipherContext(providerID: "p", userID: user)),
                expiresAt: tokens.expiresAt, userInfo: nil, status: .active, authID: "ac_1",
                createdAt: now.addingTimeInterval(-updatedAgo), updatedAt: now.addingTimeInterval(-updatedAgo)))
    }

    func sweep(
        _ store: any Store, _ client: any ProviderClient, window: TimeInterval, enabled: Bool = true, batch: Int = 500
    ) async throws -> RefreshSweep {
        let settings = BrokerSettings(
            publicURL: "http://gh", defaultVerification: VerificationSetting(verifierURL: nil, unsafeSkip: true),
            unsafeSkipAllowed: true)
        let registry = ProviderRegistry(store: store, cipher: cipher, catalog: ProviderCatalog([]))
        var request = refreshableProviderRequest()
        request.enabled = enabled
        try await registry.create(request, source: .config)
        let broker = AuthBroker(
            store: store, notifier: LocalNotifier(), providers: registry, client: client, cipher: cipher, settings: settings,
            logger: Logger(label: "test"))
        return RefreshSweep(broker: broker, interval: .seconds(60), window: window, idleAge: 86_400, batch: batch)
    }

    @Test(arguments: StoreBackend.available)
    func expiringAndIdleConnectionsAreRefreshedAndTheRestLeft(backend: StoreBackend) async throws {
        try await backend.withStore { store in
            let client = CountingProviderClient()
            let expiring = try await connection(store, user: "expiring", expiresIn: 120, updatedAgo: 60)
            let idle = try await connection(store, user: "idle", expiresIn: 3000, updatedAgo: 2 * 86_400)
            let fresh = try await connection(store, user: "fresh", expiresIn: 3000, updatedAgo: 60)
            let longLived = try await connection(
                store, user: "long-lived", expiresIn: 10 * 365 * 86_400, updatedAgo: 2 * 86_400, refreshToken: nil)
            let report = try await sweep(store, client, window: 600).sweep()
            #expect(report.refreshed == 2 && report.skipped == 1 && report.failed == 0)
            #expect(client.refreshes == 2)
            for refreshed in [expiring, idle] {
                #expect(try await store.connection(id: refreshed.id)?.version == refreshed.version + 1)
            }
            for untouched in [fresh, longLived] {
                #expect(try await store.connection(id: untouched.id)?.version == untouched.version)
            }
            // With no window, expiring and expired tokens wait for a read; only idle ones are swept.
            let expired = try await connection(store, user: "expired", expiresIn: -60, updatedAgo: 120)
            let second = try await sweep(store, CountingProviderClient(), window: 0).sweep()
            #expect(second.refreshed == 0)
            #expect(try await store.connection(id: expired.id)?.version == expired.version)
        }
    }

    @Test(arguments: StoreBackend.available)
    func aRefusedGrantIsMarkedForReauthorization(backend: StoreBackend) async throws {
        try await backend.withStore { store in
            let client = CountingProviderClient()
            client.fail(with: ProviderCallError(.invalidGrant, "revoked"))
            let idle = try await connection(store, user: "revoked", expiresIn: 3000, updatedAgo: 2 * 86_400)
            let report = try await sweep(store, client, window: 0).sweep()
            #expect(report.reauthorizationRequired == 1)
            #expect(try await store.connection(id: idle.id)?.status == .reauthorizationRequired)
        }
    }

    @Test(arguments: StoreBackend.available)
    func anInactiveProvidersConnectionsAreLeftAlone(backend: StoreBackend) async throws {
        try await backend.withStore { store in
            let client = CountingProviderClient()
            let idle = try await connection(store, user: "idle", expiresIn: 3000, updatedAgo: 2 * 86_400)
            let report = try await sweep(store, client, window: 600, enabled: false).sweep()
            #expect(report.refreshed == 0 && client.refreshes == 0)
            #expect(try await store.connection(id: idle.id)?.version == idle.version)
        }
    }

    /// Connections whose refresh keeps failing keep their expired tokens, so they come first in
    /// line: the next sweep goes on after the last batch, so that they do not hold up the others.
    @Test(arguments: StoreBackend.available)
    func connectionsWhoseRefreshKeepsFailingDoNotHoldUpTheOthers(backend: StoreBackend) async throws {
        try await backend.withStore { store in
            let client = CountingProviderClient()
            client.failRefreshes(of: "rt-bad", with: ProviderCallError(.transient, "the provider is down"))
            for n in 0..<3 {
                _ = try await connection(
                    store, user: "failing-\(n)", expiresIn: -3600 - Double(n), updatedAgo: 60, refreshToken: "rt-bad")
            }
            let good = try await connection(store, user: "good", expiresIn: 120, updatedAgo: 60)
            let sweep = try await sweep(store, client, window: 600, batch: 2)
            #expect(await sweep.sweep() == RefreshSweep.Report(failed: 2))
            #expect(await sweep.sweep() == RefreshSweep.Report(refreshed: 1, failed: 1))
            #expect(try await store.connection(id: good.id)?.version == good.version + 1)
            // Nothing after that batch: the end, and the next sweep starts from the head again.
            #expect(await sweep.sweep() == RefreshSweep.Report())
            #expect(await sweep.sweep() == RefreshSweep.Report(failed: 2))
        }
    }
}
