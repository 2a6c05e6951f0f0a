import Foundation
import GatehouseTestSupport
import Synchronization
import Testing

@testable import GatehouseCore

/// The pages anyone can open without a key look a flow up only for a value that has the shape
/// of one Gatehouse made: made-up values cost no store read (on PostgreSQL, shared by every
/// replica).
@Suite struct UnkeyedLookupTests {
    /// A sign-in at the app's OpenID Provider that is never reached: the lookup comes first.
    struct UnusedIdentity: IdentityVerifier {
        func signInURL(state: String, nonce: String, codeChallenge: String) async throws -> String { "" }
        func signedInUser(code: String, codeVerifier: String, nonce: String) async throws -> String { "" }
    }

    /// The flow lookups that reached the store.
    final class Reads: Sendable {
        private let count = Atomic(0)
        func increment() { count.add(1, ordering: .relaxed) }
        var value: Int { count.load(ordering: .relaxed) }
    }

    /// A broker on a store whose flow lookups fail, as a store away does, and count.
    func broker(_ sqlite: any Store, reads: Reads) async throws -> AuthBroker {
        let store = InterposedStore(
            sqlite,
            before: { name in
                guard name == "flow" else { return }
                reads.increment()
                throw GatehouseError(.storeUnavailable, "the store did not answer")
            })
        return AuthBroker(
            store: store, notifier: LocalNotifier(),
            providers: ProviderRegistry(store: store, cipher: cipher, catalog: ProviderCatalog([])),
            client: CountingProviderClient(), cipher: cipher,
            settings: BrokerSettings(
                publicURL: "http://gh",
                defaultVerification: VerificationSetting(verifierURL: "http://app/verify", unsafeSkip: false),
                unsafeSkipAllowed: false),
            identity: UnusedIdentity(), logger: LogRecorder().logger())
    }

    let cipher = try! TokenCipher(keys: [RootKey.generate(id: "k")], defaultKeyID: "k")

    @Test func aVerificationIDHasItsShapeChecked() {
        #expect(Flow.mayBeVerificationID(Flow.newVerificationID()))
        for text in [
            "", "af_", "af_x", String(Flow.newVerificationID().dropLast()), Flow.newVerificationID() + "A",
            "ag_" + Flow.newVerificationID().dropFirst(3), String(Flow.newVerificationID().dropLast()) + "/",
        ] {
            #expect(!Flow.mayBeVerificationID(text), "\(text)")
        }
    }

    @Test func aMadeUpContinuationIDIsNotLookedUp() async throws {
        try await StoreBackend.withSQLite { sqlite in
            let reads = Reads()
            let broker = try await broker(sqlite, reads: reads)
            #expect(
                await broker.continuation(verificationID: "af_made-up")
                    == .failure(.unknownFlow, detail: "no flow has this verification id"))
            #expect(reads.value == 0)
            // One of the right shape is: the store's failure is what the page says.
            guard case .failure(let failure, _) = await broker.continuation(verificationID: Flow.newVerificationID()) else {
                Issue.record("a continuation answered without its store")
                return
            }
            #expect(failure != .unknownFlow && reads.value == 1)
        }
    }

    @Test func aMadeUpStateAtTheAppsSignInReturnIsNotLookedUp() async throws {
        try await StoreBackend.withSQLite { sqlite in
            let reads = Reads()
            let broker = try await broker(sqlite, reads: reads)
            guard case .failure(.expiredOrUsed, _) = await broker.identityCallback(query: ["state": "made-up", "code": "c"])
            else {
                Issue.record("a made-up state was not refused as unknown")
                return
            }
            #expect(reads.value == 0)
            guard
                case .failure(let failure, _) = await broker.identityCallback(query: ["state": SecureRandom.token(), "code": "c"])
            else {
                Issue.record("a sign-in return answered without its store")
                return
            }
            #expect(failure != .expiredOrUsed && reads.value == 1)
        }
    }
}
