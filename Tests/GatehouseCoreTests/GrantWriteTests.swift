import Foundation
import GatehouseTestSupport
import GatehouseWire
import Logging
import Synchronization
import Testing

@testable import GatehouseCore

/// The callback's write of a new grant while the store is away: the code is spent, so the
/// grant is written again until the store answers (within `grantWriteRetry`), and a try after
/// one whose answer was lost knows the row it wrote.
@Suite struct GrantWriteTests {
    let cipher = try! TokenCipher(keys: [RootKey.generate(id: "k")], defaultKeyID: "k")
    let log = LogRecorder()

    func broker(
        _ store: any Store, verifierURL: String? = nil, retry: TimeInterval = 30, soleServer: Bool = false,
        now: @escaping @Sendable () -> Date = Date.init
    ) async throws -> AuthBroker {
        var settings = BrokerSettings(
            publicURL: "http://gh",
            defaultVerification: VerificationSetting(verifierURL: verifierURL, unsafeSkip: verifierURL == nil),
            unsafeSkipAllowed: true)
        settings.grantWriteRetry = retry
        settings.soleServer = soleServer
        let registry = ProviderRegistry(store: store, cipher: cipher, catalog: ProviderCatalog([]))
        try await registry.create(refreshableProviderRequest(), source: .config)
        return AuthBroker(
            store: store, notifier: LocalNotifier(), providers: registry, client: CountingProviderClient(), cipher: cipher,
            settings: settings, logger: log.logger(), now: now)
    }

    /// Starts a flow for user `u`: its id and state.
    func start(_ broker: AuthBroker) async throws -> (id: String, state: String) {
        let started = try await broker.authorize(
            AuthorizationRequest(authRequirement: .init(providerID: "p", oauth2: .init(scopes: ["a"])), userID: "u"))
        let state = try #require(started.url.flatMap { URLComponents(string: $0)?.queryItems?.first?.value })
        return (try #require(started.id), state)
    }

    /// Starts a flow for user `u` and brings the provider's redirect back with a code.
    func consent(_ broker: AuthBroker) async throws -> (Flow?, CallbackOutcome) {
        let (id, state) = try await start(broker)
        let outcome = await broker.callback(providerID: "p", query: ["state": state, "code": "c"])
        return (try await broker.store.flow(id: id), outcome)
    }

    func storeAway() -> GatehouseError { GatehouseError(.storeUnavailable, "the store did not answer") }

    @Test func aGrantIsStoredOnceTheStoreIsBack() async throws {
        try await StoreBackend.withSQLite { sqlite in
            let failures = Atomic(2)
            let store = InterposedStore(
                sqlite,
                completingFlow: { [storeAway] _, write in
                    if failures.subtract(1, ordering: .relaxed).oldValue > 0 { throw storeAway() }
                    return try await write()
                })
            let (flow, outcome) = try await consent(try await broker(store))
            #expect(outcome == .success(providerID: "p"))
            #expect(flow?.status == .completed)
            #expect(try await sqlite.connection(userID: "u", providerID: "p")?.authID == flow?.id)
            #expect(log.logged.filter { $0.message == "could not store a new grant; trying again" }.count == 1)
            #expect(log.logged.contains { $0.level == .notice && $0.message == "stored the new grant" })
        }
    }

    @Test func aGrantWriteWhoseAnswerWasLostIsKnownAsItsOwn() async throws {
        try await StoreBackend.withSQLite { sqlite in
            let commits = Atomic(0)
            let store = InterposedStore(
                sqlite,
                completingFlow: { [storeAway] _, write in
                    let written = try await write()
                    if written != nil, commits.add(1, ordering: .relaxed).newValue == 1 { throw storeAway() }
                    return written
                })
            let (flow, outcome) = try await consent(try await broker(store))
            #expect(outcome == .success(providerID: "p"))
            #expect(flow?.status == .completed)
            // Written once: the next try found it, and wrote nothing again.
            #expect(commits.load(ordering: .relaxed) == 1)
            #expect(try await sqlite.connection(userID: "u", providerID: "p")?.authID == flow?.id)
            #expect(log.logged.filter { $0.message == "authorization completed" }.count == 1)
        }
    }

    /// With a verifier, the grant waits on the flow: its write is tried again the same way.
    @Test func aParkedGrantWhoseAnswerWasLostIsKnownAsItsOwn() async throws {
        try await StoreBackend.withSQLite { sqlite in
            let answerLost = Atomic(true)
            let store = InterposedStore(
                sqlite,
                updatingFlow: { [storeAway] flow, write in
                    let written = try await write()
                    if flow.sealedTokens != nil, answerLost.exchange(false, ordering: .relaxed) { throw storeAway() }
                    return written
                })
            let (flow, outcome) = try await consent(try await broker(store, verifierURL: "https://app.example/verify"))
            guard case .redirect(let url) = outcome else {
                Issue.record("expected the verifier's redirect, got \(outcome)")
                return
            }
            #expect(url.hasPrefix("https://app.example/verify?flow_id=af_"))
            #expect(flow?.status == .pending && flow?.sealedTokens != nil)
        }
    }

    /// The verification setting, read while the code is exchanged, could not be read: the code
    /// is spent, so it is read again rather than the grant lost.
    @Test func aSettingReadThatFailsWhileTheCodeIsExchangedIsTriedAgain() async throws {
        try await StoreBackend.withSQLite { sqlite in
            let failures = Atomic(0)
            let store = InterposedStore(
                sqlite,
                before: { [storeAway] name in
                    if name == "setting", failures.subtract(1, ordering: .relaxed).oldValue > 0 { throw storeAway() }
                })
            let broker = try await broker(store, verifierURL: "https://app.example/verify")
            failures.store(2, ordering: .relaxed)
            let (flow, outcome) = try await consent(broker)
            guard case .redirect(let url) = outcome else {
                Issue.record("expected the verifier's redirect, got \(outcome)")
                return
            }
            #expect(url.hasPrefix("https://app.example/verify?flow_id=af_"))
            #expect(flow?.sealedTokens != nil)
            #expect(failures.load(ordering: .relaxed) < 0)
            // Each failed read is logged: the first (while the code was exchanged) and the retry's.
            let said = log.logged.filter { $0.message.hasPrefix("could not read the verification setting for a new grant") }
            #expect(said.count == 2 && said.allSatisfy { $0.level == .warning }, "\(said)")
        }
    }

    /// Past `grantWriteRetry` the callback fails as before, and says so in the log.
    @Test func aStoreAwayLongerThanTheRetryFailsTheCallback() async throws {
        try await StoreBackend.withSQLite { sqlite in
            let store = InterposedStore(sqlite, completingFlow: { [storeAway] _, _ in throw storeAway() })
            let (flow, outcome) = try await consent(try await broker(store, retry: 0.5))
            #expect(outcome == .failure(.storeUnavailable(reloadable: false), detail: "the store did not answer"))
            #expect(flow?.status == .pending)
            #expect(log.logged.contains { $0.level == .error && $0.message.hasPrefix("could not store a new grant:") })
        }
    }
}
