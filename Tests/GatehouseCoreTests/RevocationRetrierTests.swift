import Foundation
import GatehouseTestSupport
import GatehouseWire
import Logging
import Synchronization
import Testing

@testable import GatehouseCore

/// A deleted connection's grant is revoked at its provider even when the first try fails for a
/// reason that may pass, or never ends: the delete queues the revocation in its transaction, and
/// the `RevocationRetrier` tries again until the provider revokes it, refuses for good, or the
/// tries run out.
@Suite struct RevocationRetrierTests {
    let cipher = try! TokenCipher(keys: [RootKey.generate(id: "k")], defaultKeyID: "k")
    let client = CountingProviderClient()
    /// The broker's clock, moved by `advance`.
    final class Clock: Sendable {
        // A time a store keeps to the bit (a `Date` made now may lose its last bit on the way
        // through seconds since 1970).
        let time = Mutex(Date(timeIntervalSince1970: 1_800_000_000))
    }
    let clock = Clock()

    static let unavailable = ProviderCallError(.transient, "HTTP 503")

    /// Provider `p` with a revocation request at `endpoint`.
    static func revoking(at endpoint: String = "https://p.example/revoke") -> AuthProviderRequest {
        var request = refreshableProviderRequest()
        request.oauth2?.tokenRevocationRequest = RequestConfig(endpoint: endpoint)
        return request
    }

    /// A broker on `store` whose provider `p` (from `source`) has a revocation request, and whose
    /// tries stop `giveUp` after the delete.
    func broker(
        _ store: any Store, source: Provider.Source = .api, giveUp: TimeInterval = 3600, telemetry: Telemetry = .none,
        logger: Logger = Logger(label: "test")
    ) async throws -> AuthBroker {
        let registry = ProviderRegistry(
            store: store, cipher: cipher, catalog: ProviderCatalog([]), now: { [clock] in clock.time.withLock { $0 } })
        try await registry.create(Self.revoking(), source: source)
        var settings = BrokerSettings(
            publicURL: "http://gh", defaultVerification: VerificationSetting(verifierURL: nil, unsafeSkip: true),
            unsafeSkipAllowed: true)
        settings.revocationRetryInterval = 60
        settings.revocationGiveUp = giveUp
        return AuthBroker(
            store: store, notifier: LocalNotifier(), providers: registry, client: client, cipher: cipher, settings: settings,
            telemetry: telemetry, logger: logger, now: { [clock] in clock.time.withLock { $0 } })
    }

    func advance(_ seconds: TimeInterval) { clock.time.withLock { $0 += seconds } }

    /// A delete's order now, for provider `p` as `broker` made it.
    func order() -> RevocationOrder {
        RevocationOrder(deletedAt: clock.time.withLock { $0 }, destination: "https://p.example")
    }

    func pending(_ store: any Store) async throws -> [PendingRevocation] {
        try await store.dueRevocations(now: .distantFuture, limit: 10)
    }

    @Test func aRevocationThatFailsForNowIsTriedAgainUntilTheProviderRevokes() async throws {
        try await StoreBackend.withSQLite { store in
            let broker = try await broker(store)
            let retrier = RevocationRetrier(broker: broker)
            let connection = try await storeStaleConnection(store, cipher: cipher)
            client.failRevocations(with: Self.unavailable)
            #expect(try await broker.deleteConnection(id: connection.id) == .revocationPending("HTTP 503"))
            #expect(try await store.connection(id: connection.id) == nil)
            let queued = try #require(try await pending(store).first)
            #expect(queued.attempts == 1 && queued.lastError == "HTTP 503")
            #expect(queued.nextAttemptAt == clock.time.withLock { $0 } + 60)
            // Not due yet: nothing is tried.
            #expect(await retrier.retry() == RevocationRetrier.Report())
            #expect(client.revocationTries == 1)
            // Due, and failing again: the wait doubles.
            advance(60)
            #expect(await retrier.retry() == RevocationRetrier.Report(postponed: 1))
            let again = try #require(try await pending(store).first)
            #expect(again.attempts == 2 && again.nextAttemptAt == clock.time.withLock { $0 } + 120)
            // The provider is back.
            client.failRevocations(with: nil)
            advance(120)
            #expect(await retrier.retry() == RevocationRetrier.Report(revoked: 1))
            #expect(client.revoked == ["rt-0"])
            #expect(try await pending(store).isEmpty)
        }
    }

    @Test func aRefusalForGoodOrTheEndOfTheTriesEndsIt() async throws {
        try await StoreBackend.withSQLite { store in
            let broker = try await broker(store)
            let refused = try await storeStaleConnection(store, cipher: cipher, user: "refused")
            client.failRevocations(with: ProviderCallError(.rejected, "unsupported_token_type"))
            #expect(try await broker.deleteConnection(id: refused.id) == .notRevoked("unsupported_token_type"))
            #expect(try await pending(store).isEmpty)

            let late = try await storeStaleConnection(store, cipher: cipher, user: "late")
            client.failRevocations(with: Self.unavailable)
            #expect(try await broker.deleteConnection(id: late.id) == .revocationPending("HTTP 503"))
            advance(3600)
            // Past the tries' time: dropped, not sent again.
            #expect(await RevocationRetrier(broker: broker).retry() == RevocationRetrier.Report(dropped: 1))
            #expect(try await pending(store).isEmpty)
            #expect(client.revocationTries == 2)
        }
    }

    /// The delete committed but its first try never ran (the process died), or the delete's
    /// answer was lost (the caller saw an error): the retrier takes the revocation over once
    /// the first try's time is past.
    @Test func aRevocationWhoseFirstTryNeverEndedIsTakenOver() async throws {
        try await StoreBackend.withSQLite { sqlite in
            let answerLost = Atomic(false)
            let store = InterposedStore(
                sqlite,
                after: { name in
                    if name == "deleteConnection", answerLost.load(ordering: .relaxed) {
                        throw GatehouseError(.storeUnavailable, "the answer was lost")
                    }
                })
            let broker = try await broker(store)
            let died = try await storeStaleConnection(store, cipher: cipher, user: "died")
            _ = try #require(try await store.deleteConnection(id: died.id, queueing: order()))
            let lost = try await storeStaleConnection(store, cipher: cipher, user: "lost", refreshToken: "rt-lost")
            answerLost.store(true, ordering: .relaxed)
            await #expect(throws: GatehouseError.self) { try await broker.deleteConnection(id: lost.id) }
            answerLost.store(false, ordering: .relaxed)
            #expect(client.revocationTries == 0)
            let retrier = RevocationRetrier(broker: broker)
            advance(PendingRevocation.firstRetryDelay - 1)
            #expect(await retrier.retry() == RevocationRetrier.Report())
            advance(1)
            #expect(await retrier.retry() == RevocationRetrier.Report(revoked: 2))
            #expect(Set(client.revoked) == ["rt-0", "rt-lost"])
        }
    }

    /// A revocation whose provider was deleted, or no longer revokes, is not sent anywhere.
    @Test func aProviderThatNoLongerRevokesEndsIt() async throws {
        try await StoreBackend.withSQLite { store in
            let broker = try await broker(store)
            let connection = try await storeStaleConnection(store, cipher: cipher)
            _ = try await store.deleteConnection(id: connection.id, queueing: order())
            let patch = Data(#"{"oauth2":{"token_revocation_request":null}}"#.utf8)
            _ = try await broker.providers.patch(id: "p", with: try JSONDecoder().decode(ProviderPatch.self, from: patch))
            advance(PendingRevocation.firstRetryDelay)
            _ = await RevocationRetrier(broker: broker).retry()
            #expect(client.revocationTries == 0)
            #expect(try await pending(store).isEmpty)
        }
    }

    /// Tokens go only where the revocation would have gone at the delete: a config file that now
    /// names another server for the provider's id (no refusal guards that path) does not get them.
    @Test func aRevocationGoesNowhereButWhereItWouldHaveGoneAtTheDelete() async throws {
        try await StoreBackend.withSQLite { store in
            let broker = try await broker(store, source: .config)
            #expect(try await broker.providers.provider(id: "p")?.revocationDestination == "https://p.example")
            let connection = try await storeStaleConnection(store, cipher: cipher)
            client.failRevocations(with: Self.unavailable)
            #expect(try await broker.deleteConnection(id: connection.id) == .revocationPending("HTTP 503"))
            client.failRevocations(with: nil)
            try await broker.providers.create(Self.revoking(at: "https://elsewhere.example/revoke"), source: .config)
            advance(60)
            #expect(await RevocationRetrier(broker: broker).retry() == RevocationRetrier.Report(dropped: 1))
            #expect(client.revocationTries == 1)
            #expect(try await pending(store).isEmpty)
        }
    }

    /// A run tries each revocation at most once, even when it cannot record what came of it (the
    /// row stays due), and leaves a provider that failed three tries in a row in it for the next
    /// run, its other revocations untouched.
    @Test func aRunTriesEachOnceAndLetsAProviderThatIsDownGo() async throws {
        try await StoreBackend.withSQLite { sqlite in
            let recordingFails = Atomic(true)
            let store = InterposedStore(
                sqlite,
                before: { name in
                    if name == "deleteRevocation", recordingFails.load(ordering: .relaxed) {
                        throw GatehouseError(.storeUnavailable, "the store did not answer")
                    }
                })
            let broker = try await broker(store)
            for user in ["a", "b", "c"] {
                let connection = try await storeStaleConnection(store, cipher: cipher, user: user)
                _ = try await store.deleteConnection(id: connection.id, queueing: order())
            }
            advance(PendingRevocation.firstRetryDelay)
            // The first batch's rows stay due, and come back as the second batch: the run ends
            // there, rather than sending them again.
            let retrier = RevocationRetrier(broker: broker, batch: 2)
            #expect(await retrier.retry() == RevocationRetrier.Report(revoked: 2))
            #expect(client.revocationTries == 2)
            #expect(try await pending(store).count == 3)

            recordingFails.store(false, ordering: .relaxed)
            for user in ["d", "e"] {
                let connection = try await storeStaleConnection(store, cipher: cipher, user: user)
                _ = try await store.deleteConnection(id: connection.id, queueing: order())
            }
            advance(PendingRevocation.firstRetryDelay)
            client.failRevocations(with: Self.unavailable)
            #expect(await RevocationRetrier(broker: broker).retry() == RevocationRetrier.Report(postponed: 3, skipped: 2))
            #expect(client.revocationTries == 2 + RevocationRetrier.failuresBeforeSkipping)
            // The rest are left as they were, for the next run.
            #expect(try await pending(store).map(\.attempts).sorted() == [0, 0, 1, 1, 1])
        }
    }

    /// With no time for tries again (`give_up_after: 0`), the delete's own try still goes; a
    /// failure ends it.
    @Test func withNoTimeForTriesTheFirstStillGoes() async throws {
        try await StoreBackend.withSQLite { store in
            let broker = try await broker(store, giveUp: 0)
            let connection = try await storeStaleConnection(store, cipher: cipher)
            client.failRevocations(with: Self.unavailable)
            #expect(try await broker.deleteConnection(id: connection.id) == .notRevoked("HTTP 503"))
            #expect(client.revocationTries == 1)
            #expect(try await pending(store).isEmpty)
            // One whose first try died with its process gets that try from the retrier.
            let died = try await storeStaleConnection(store, cipher: cipher, user: "died")
            _ = try await store.deleteConnection(id: died.id, queueing: order())
            client.failRevocations(with: nil)
            advance(PendingRevocation.firstRetryDelay)
            #expect(await RevocationRetrier(broker: broker).retry() == RevocationRetrier.Report(revoked: 1))
        }
    }

    /// A provider deleted while revocations of its grants wait keeps them (with the grants of
    /// its connections), sent through it as it was deleted. (A reconnected user's grant:
    /// `aRevocationLeftForAReconnectedUserIsCountedAndLoggedAsSuch`.)
    @Test func aDeletedProviderKeepsItsPendingRevocations() async throws {
        try await StoreBackend.withSQLite { store in
            let broker = try await broker(store)
            let other = try await storeStaleConnection(store, cipher: cipher, user: "other")
            _ = try await store.deleteConnection(id: other.id, queueing: order())
            _ = try await storeStaleConnection(store, cipher: cipher)
            _ = try await broker.providers.delete(id: "p")
            #expect(Set(try await pending(store).map(\.userID)) == ["other", "u"])
            #expect(try await pending(store).allSatisfy { $0.retiredProvider != nil })
        }
    }

    /// The destination of an endpoint the connection names is its placeholder with the hosts it
    /// may be: a config that lets it go to more hosts is another destination.
    @Test func aDestinationNamedByTheConnectionCountsItsHosts() {
        var provider = testProvider
        provider.oauth2.tokenRevocationRequest = RequestConfig(endpoint: "{{user_info.instance_url}}/services/oauth2/revoke")
        provider.oauth2.connectionHosts = ["*.my.salesforce.com", "login.salesforce.com"]
        let before = provider.revocationDestination
        #expect(before == "{{user_info.instance_url}} within [*.my.salesforce.com, login.salesforce.com]")
        provider.oauth2.connectionHosts = ["login.salesforce.com", "*.my.salesforce.com"]
        #expect(provider.revocationDestination == before)
        provider.oauth2.connectionHosts?.append("evil.example")
        #expect(provider.revocationDestination != before)
        provider.oauth2.tokenRevocationRequest = RequestConfig(endpoint: "https://login.salesforce.com:443/revoke?x=1")
        #expect(provider.revocationDestination == "https://login.salesforce.com")
    }

    /// A provider left for the next run does not hold up another's revocations behind its own,
    /// however many it has.
    @Test func anotherProvidersRevocationsAreReachedPastOneThatIsDown() async throws {
        try await StoreBackend.withSQLite { store in
            let broker = try await broker(store)
            var other = Self.revoking(at: "https://q.example/revoke")
            other.id = "q"
            try await broker.providers.create(other, source: .api)
            for user in ["a", "b", "c", "d", "e", "f"] {
                let connection = try await storeStaleConnection(store, cipher: cipher, user: user)
                _ = try await store.deleteConnection(id: connection.id, queueing: order())
            }
            advance(1)
            var atQ = try await storeStaleConnection(store, cipher: cipher, user: "g")
            _ = try await store.deleteConnection(id: atQ.id)
            atQ.providerID = "q"
            atQ = try await store.upsertConnection(atQ)
            let q = RevocationOrder(deletedAt: clock.time.withLock { $0 }, destination: "https://q.example")
            _ = try await store.deleteConnection(id: atQ.id, queueing: q)
            advance(PendingRevocation.firstRetryDelay)
            client.failRevocations(with: Self.unavailable)
            let report = await RevocationRetrier(broker: broker, batch: 2).retry()
            #expect(report.postponed == RevocationRetrier.failuresBeforeSkipping + 1, "\(report)")
            #expect(try await pending(store).first { $0.providerID == "q" }?.attempts == 1)
        }
    }
}
