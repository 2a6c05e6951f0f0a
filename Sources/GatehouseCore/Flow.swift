import Foundation
import GatehouseWire

/// One run of the authorization-code flow for (user, provider, scopes).
package struct Flow: Sendable, Equatable {
    /// Where a flow stands.
    package enum Status: String, Sendable {
        /// A status as a store holds it; one this build does not know (a newer release's) reads
        /// as failed, which serves nothing.
        package init(stored: String) {
            self = Status(rawValue: stored) ?? .failed
        }

        /// Waiting for the user at the provider, or for verification.
        case pending
        /// The connection holds the grant.
        case completed
        /// Denied, failed at the provider, or expired.
        case failed
    }

    /// The authorization id (`ac_...`).
    package var id: String
    /// The app's user id.
    package var userID: String
    /// The provider's id.
    package var providerID: String
    /// The scopes the app asked for.
    package var requestedScopes: [String]
    /// The scopes asked of the provider: the union with those already granted.
    package var authorizeScopes: [String]
    /// SHA-256 of the `state` parameter (hex); the state itself is only in the URL.
    package var stateHash: String
    /// The PKCE verifier, encrypted (AAD `flow:<id>`).
    package var sealedVerifier: [UInt8]?
    /// The provider's authorize URL for this flow, encrypted (AAD `flow-url:<id>`): it carries
    /// `state`, which must not sit in the store in clear.
    package var sealedURL: [UInt8]?
    /// Where to send the browser once completed.
    package var nextURI: String?
    /// Where the flow stands.
    package var status: Flow.Status
    /// Whether the callback has used the state.
    package var stateUsed: Bool
    /// When the callback used the state (nil before, and for flows whose state was used before
    /// Gatehouse recorded it).
    package var stateUsedAt: Date?
    /// The record (`RunningServer`, by its setting's key) of the server whose callback used the
    /// state; nil for flows whose state was used before Gatehouse recorded it.
    package var stateUsedBy: String?
    /// SHA-256 (hex) of the id handed to the verifier after the callback (`af_...`); the id
    /// itself is known only to that browser and the app's verifier.
    package var verificationHash: String?
    /// The token set from the code exchange, encrypted, held until verification.
    package var sealedTokens: [UInt8]?
    /// User info fetched at the callback.
    package var userInfo: [String: JSONValue]?
    /// Why the flow failed.
    package var failureReason: String?
    /// When it was created.
    package var createdAt: Date
    /// When it stops accepting a callback or a confirmation.
    package var expiresAt: Date
    /// Bumped on every change; what long-poll waiters watch.
    package var version: Int

    /// How long after its state was used a callback may still be finishing its flow. Its
    /// provider calls (the code exchange, introspection, user info, the app's sign-in discovery)
    /// have 15 s each once their host's name is resolved, its writes wait at most 5 s each for
    /// another writer, and the verification setting's read and the grant's write are each tried
    /// again for `grantWriteRetry` (30 s): a few minutes at the very worst. Past five, the
    /// callback stopped (its process ended, or it failed without failing the flow); failing the
    /// flow sooner could race a callback still finishing, whose grant would then be lost.
    package static let callbackLimit: TimeInterval = 300

    /// A new verification id: what the verifier's `flow_id` and the continuation page's path
    /// carry, stored as a hash.
    package static func newVerificationID() -> String {
        SecureRandom.identifier(prefix: "af_") + SecureRandom.token(bytes: 16)
    }

    /// Whether `text` has the shape of `newVerificationID()`, which a page anyone can open checks
    /// before it looks the flow up.
    package static func mayBeVerificationID(_ text: String) -> Bool {
        // Two 16-byte tokens after the prefix: 22 characters each.
        let random = text.utf8.dropFirst(3)
        return text.hasPrefix("af_") && random.count == 44 && random.allSatisfy { Base64URL.isAlphabet($0) }
    }

    /// Whether the callback took this flow's state and stopped (the process ended) before
    /// storing the tokens or failing the flow: it is still pending, with nothing from the
    /// exchange, `callbackLimit` after the state was used.
    package func callbackAbandoned(now: Date) -> Bool {
        guard status == .pending, stateUsed, sealedTokens == nil, let stateUsedAt else { return false }
        return now.timeIntervalSince(stateUsedAt) > Flow.callbackLimit
    }

    /// The failure reason of a flow that expired before it completed (the stores write it too,
    /// when an expired flow gives its key up to a new one).
    package static let expiredReason = "the authorization expired"

    /// The failure reason of a flow whose callback took its state and stopped (`callbackAbandoned`).
    package static let callbackInterruptedReason =
        "the provider's redirect back was taken but never finished (the server stopped or failed during it); start the authorization again"

    /// The failure reason of a flow the user declined at the provider (`error=access_denied`).
    package static let deniedReason = "the user denied access"

    /// The failure reason of a flow whose verifier named another user than the one who started it.
    package static let userMismatchReason = "user verification failed: user mismatch"

    /// The failure reason of an open flow whose provider's template changed (`ProviderReplacement`).
    package static let providerChangedReason = "the provider's settings changed while the authorization was under way"

    /// The key under which identical open flows are shared.
    package var dedupeKey: String {
        Flow.dedupeKey(userID: userID, providerID: providerID, scopes: requestedScopes)
    }

    /// The key under which identical open flows are shared.
    package static func dedupeKey(userID: String, providerID: String, scopes: [String]) -> String {
        "\(providerID)\u{1F}\(userID)\u{1F}\(ScopeSet.key(scopes))"
    }

    /// Creates a flow.
    package init(
        id: String, userID: String, providerID: String, requestedScopes: [String],
        authorizeScopes: [String], stateHash: String, sealedVerifier: [UInt8]?, sealedURL: [UInt8]? = nil,
        nextURI: String?, status: Flow.Status = .pending, stateUsed: Bool = false, stateUsedAt: Date? = nil,
        stateUsedBy: String? = nil, verificationHash: String? = nil, sealedTokens: [UInt8]? = nil,
        userInfo: [String: JSONValue]? = nil, failureReason: String? = nil,
        createdAt: Date, expiresAt: Date, version: Int = 1
    ) {
        self.id = id
        self.userID = userID
        self.providerID = providerID
        self.requestedScopes = requestedScopes
        self.authorizeScopes = authorizeScopes
        self.stateHash = stateHash
        self.sealedVerifier = sealedVerifier
        self.sealedURL = sealedURL
        self.nextURI = nextURI
        self.status = status
        self.stateUsed = stateUsed
        self.stateUsedAt = stateUsedAt
        self.stateUsedBy = stateUsedBy
        self.verificationHash = verificationHash
        self.sealedTokens = sealedTokens
        self.userInfo = userInfo
        self.failureReason = failureReason
        self.createdAt = createdAt
        self.expiresAt = expiresAt
        self.version = version
    }
}
