import Foundation
import GatehouseCore
import GatehouseTestSupport
import Testing

/// What the refresh sweep reads, on every backend: connections due for a refresh, never those
/// of an inactive provider (which would hold the head of every batch).
@Suite struct RefreshQueryContractTests {
    @Test(arguments: StoreBackend.available)
    func connectionsToRefreshAreActiveAndExpiringOrIdle(backend: StoreBackend) async throws {
        try await backend.withStore { store in
            let cipher = try TokenCipher(keys: [RootKey.generate(id: "k")], defaultKeyID: "k")
            // The provider's (enabled) row; an inactive provider's connections are not due.
            for (id, enabled) in [("p", true), ("q", false)] {
                try await store.insertProvider(
                    ProviderRecord(
                        id: id, description: nil, providerType: "", enabled: enabled, source: "api",
                        templateJSON: Array("{}".utf8), sealedSecret: nil, secretHint: nil, createdAt: Date(),
                        updatedAt: Date()))
            }
            let past = Date().addingTimeInterval(-3600)
            _ = try await store.upsertConnection(
                Connection(
                    id: SecureRandom.identifier(prefix: "uc_"), userID: "inactive", providerID: "q", scopes: ["a"],
                    sealedTokens: [1], expiresAt: past, userInfo: nil, status: .active, authID: "ac_q", createdAt: past,
                    updatedAt: past))
            let stale = try await storeStaleConnection(store, cipher: cipher, user: "stale")
            var gone = try await storeStaleConnection(store, cipher: cipher, user: "gone")
            gone.status = .reauthorizationRequired
            _ = try await store.upsertConnection(gone)
            let now = Date()
            let due = try await store.connectionsToRefresh(
                expiringBefore: now, untouchedSince: now.addingTimeInterval(-86_400), after: nil, limit: 10)
            #expect(due.map(\.id) == [stale.id])
            let idle = try await store.connectionsToRefresh(
                expiringBefore: now.addingTimeInterval(-86_400), untouchedSince: now, after: nil, limit: 10)
            #expect(idle.map(\.id) == [stale.id])
            #expect(try await store.connectionsToRefresh(expiringBefore: now, untouchedSince: now, after: nil, limit: 0).isEmpty)
        }
    }

    /// Read in batches, each after the last one's end: every due connection once, soonest
    /// expiry first and, at the same expiry, by id.
    @Test(arguments: StoreBackend.available)
    func connectionsToRefreshAreReadOnAfterAPosition(backend: StoreBackend) async throws {
        try await backend.withStore { store in
            try await store.insertProvider(
                ProviderRecord(
                    id: "p", description: nil, providerType: "", enabled: true, source: "api", templateJSON: Array("{}".utf8),
                    sealedSecret: nil, secretHint: nil, createdAt: Date(), updatedAt: Date()))
            let now = Date()
            for (user, expiresIn) in [("a", -60.0), ("b", -120.0), ("c", -60.0), ("d", -30.0)] {
                let expiry = now.addingTimeInterval(expiresIn)
                _ = try await store.upsertConnection(
                    Connection(
                        id: "uc_" + user, userID: user, providerID: "p", scopes: ["a"], sealedTokens: [1], expiresAt: expiry,
                        userInfo: nil, status: .active, authID: "ac_1", createdAt: now, updatedAt: now))
            }
            var read: [String] = []
            var after: SweepPosition?
            while let next = try await store.connectionsToRefresh(
                expiringBefore: now, untouchedSince: .distantPast, after: after, limit: 1
            ).first {
                read.append(next.id)
                after = SweepPosition(after: next)
            }
            #expect(read == ["uc_b", "uc_a", "uc_c", "uc_d"])
        }
    }
}
