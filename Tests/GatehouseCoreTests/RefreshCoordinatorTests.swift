import Foundation
import GatehouseTestSupport
import Logging
import Testing

@testable import GatehouseCore

@Suite struct RefreshCoordinatorTests {
    let cipher = try! TokenCipher(keys: [RootKey.generate(id: "k")], defaultKeyID: "k")
    let settings = BrokerSettings(
        publicURL: "http://gh", defaultVerification: VerificationSetting(verifierURL: nil, unsafeSkip: true),
        unsafeSkipAllowed: true)

    func coordinator(
        _ store: any Store, _ client: any ProviderClient, leaseDuration: TimeInterval = 30,
        logger: Logger = Logger(label: "test"), now: @escaping @Sendable () -> Date = Date.init
    ) -> RefreshCoordinator {
        var settings = settings
        settings.leaseDuration = leaseDuration
        return RefreshCoordinator(
            store: store, client: client, cipher: cipher, settings: settings, connections: ConnectionCache(),
            logger: logger, now: now)
    }

    func token(of connection: Connection) throws -> String {
        try cipher.open(
            TokenSet.self, from: connection.sealedTokens,
            context: Connection.cipherContext(providerID: "p", userID: connection.userID)
        )
        .accessToken
    }

    @Test func whatARefreshAnswerSaysOfTheUserIsAddedToWhatWasKnown() async throws {
        try await StoreBackend.withSQLite { store in
            var stale = try await storeStaleConnection(store, cipher: cipher)
            stale.userInfo = ["name": .string("Ada")]
            stale = try await store.upsertConnection(stale)
            let client = CountingProviderClient(refreshUserInfo: ["instance_url": .string("https://acme.example")])
            _ = try await coordinator(store, client).refresh(stale, provider: testProvider)
            let stored = try #require(try await store.connection(id: stale.id))
            #expect(stored.userInfo == ["name": .string("Ada"), "instance_url": .string("https://acme.example")])
        }
    }

    @Test func fiftyConcurrentCallersCauseOneRefresh() async throws {
        try await StoreBackend.withSQLite { store in
            let client = CountingProviderClient()
            let stale = try await storeStaleConnection(store, cipher: cipher)
            let refresher = coordinator(store, client)
            let tokens = try await withThrowingTaskGroup(of: String.self) { group in
                for _ in 0..<50 { group.addTask { try token(of: try await refresher.refresh(stale, provider: testProvider)) } }
                return try await group.reduce(into: [String]()) { $0.append($1) }
            }
            #expect(tokens.count == 50)
            #expect(Set(tokens) == ["refreshed-1"])
            #expect(client.refreshes == 1)
            let stored = try #require(try await store.connection(id: stale.id))
            #expect(try token(of: stored) == "refreshed-1")
        }
    }

    @Test func twoReplicasSharingAStoreRefreshOnce() async throws {
        try await StoreBackend.withSQLite { store in
            let client = CountingProviderClient()
            let stale = try await storeStaleConnection(store, cipher: cipher)
            let replicas = [coordinator(store, client), coordinator(store, client)]
            let tokens = try await withThrowingTaskGroup(of: String.self) { group in
                for index in 0..<20 {
                    let replica = replicas[index % 2]
                    group.addTask { try token(of: try await replica.refresh(stale, provider: testProvider)) }
                }
                return try await group.reduce(into: Set<String>()) { $0.insert($1) }
            }
            #expect(tokens == ["refreshed-1"])
            #expect(client.refreshes == 1)
        }
    }

    @Test func invalidGrantMarksTheConnectionForReauthorization() async throws {
        try await StoreBackend.withSQLite { store in
            let client = CountingProviderClient()
            client.fail(with: ProviderCallError(.invalidGrant, "revoked"))
            let stale = try await storeStaleConnection(store, cipher: cipher)
            await #expect {
                try await coordinator(store, client).refresh(stale, provider: testProvider)
            } throws: { error in
                if case RefreshCoordinator.Failure.reauthorizationRequired = error { return true }
                return false
            }
            #expect(try await store.connection(id: stale.id)?.status == .reauthorizationRequired)
        }
    }

    @Test func transientFailuresBackOffAndKeepTheConnection() async throws {
        try await StoreBackend.withSQLite { store in
            let client = CountingProviderClient()
            client.fail(with: ProviderCallError(.transient, "503"))
            let stale = try await storeStaleConnection(store, cipher: cipher)
            // The clock stands still: the first backoff is 1 s, which a loaded machine running
            // the suite in parallel can let pass between two calls (CI saw a second refresh).
            let start = Date()
            let refresher = coordinator(store, client, now: { start })
            for _ in 0..<3 {
                await #expect(throws: RefreshCoordinator.Failure.self) {
                    try await refresher.refresh(stale, provider: testProvider)
                }
            }
            // The first failure starts a backoff: the later calls did not reach the provider.
            #expect(client.refreshes == 1)
            #expect(try await store.connection(id: stale.id)?.status == .active)
        }
    }

    @Test(arguments: [ProviderCallError.Kind.rejected, .configuration])
    func aRefusalKeepsTheGrantAndBacksOff(kind: ProviderCallError.Kind) async throws {
        try await StoreBackend.withSQLite { store in
            let client = CountingProviderClient()
            client.fail(with: ProviderCallError(kind, "refused"))
            let stale = try await storeStaleConnection(store, cipher: cipher)
            let start = Date()
            let refresher = coordinator(store, client, now: { start })
            for _ in 0..<2 {
                await #expect {
                    try await refresher.refresh(stale, provider: testProvider)
                } throws: { error in
                    switch (kind, error as? RefreshCoordinator.Failure) {
                    // Another refusal: the caller may ask for a new consent.
                    case (.rejected, .refused?): true
                    // The client's credentials: the operator's to fix, so the caller retries.
                    case (.configuration, .unavailable?): true
                    default: false
                    }
                }
            }
            #expect(client.refreshes == 1)
            let kept = try #require(try await store.connection(id: stale.id))
            #expect(kept.status == .active && kept.version == stale.version)
        }
    }
}
