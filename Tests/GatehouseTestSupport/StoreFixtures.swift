import Foundation
import GatehouseCore
import GatehouseWire
import Logging
import Synchronization

package func makeFlow(
    user: String = "u", provider: String = "p", scopes: [String] = ["a"], now: Date = Date(), ttl: TimeInterval = 600
)
    -> Flow
{
    let id = SecureRandom.identifier(prefix: "ac_")
    return Flow(
        id: id, userID: user, providerID: provider, requestedScopes: scopes, authorizeScopes: scopes,
        stateHash: SecureRandom.token(), sealedVerifier: nil, sealedURL: Array("https://p/authorize?\(id)".utf8), nextURI: nil,
        createdAt: now,
        expiresAt: now.addingTimeInterval(ttl))
}

/// A provider client whose refresh counts calls, takes a little while, and can be told to
/// fail. `rotating`: like a provider that rotates refresh tokens, it refuses a refresh
/// token used before (`invalid_grant`). `gated`: refreshes wait, once counted, until `release()`.
/// Revocations are recorded, by refresh token, and can be told to fail.
package final class CountingProviderClient: ProviderClient {
    private struct State {
        var refreshes = 0
        var failure: ProviderCallError?
        var failures: [String: ProviderCallError] = [:]
        var used: Set<String> = []
        var revoked: [String] = []
        var revocationFailure: ProviderCallError?
        var revocationTries = 0
        var revokedThrough: [String] = []
    }
    private let state = Mutex(State())
    private let gate = Gate()
    /// Gates that revocations to an endpoint wait at (`holdRevocations`).
    private let held = Mutex<[String: Gate]>([:])
    /// What a refresh answer says of the user (`user_info.*` in a response map), if anything.
    private let refreshUserInfo: [String: JSONValue]?
    private let rotating: Bool

    package init(
        refreshUserInfo: [String: JSONValue]? = nil, rotating: Bool = false, gated: Bool = false
    ) {
        self.refreshUserInfo = refreshUserInfo
        self.rotating = rotating
        if !gated { gate.open() }
    }

    package var refreshes: Int { state.withLock { $0.refreshes } }
    /// The refresh (else access) tokens revoked, in order.
    package var revoked: [String] { state.withLock { $0.revoked } }

    /// Lets the refreshes waiting at the gate, and every later one, go on.
    package func release() { gate.open() }
    package func fail(with error: ProviderCallError?) { state.withLock { $0.failure = error } }
    /// Makes the refreshes of `refreshToken` fail with `error`, and no other.
    package func failRefreshes(of refreshToken: String, with error: ProviderCallError) {
        state.withLock { $0.failures[refreshToken] = error }
    }
    /// Makes revocations fail with `error` (nil: succeed again).
    package func failRevocations(with error: ProviderCallError?) { state.withLock { $0.revocationFailure = error } }
    /// Makes each revocation sent to `endpoint` wait at `gate` before it is answered.
    package func holdRevocations(to endpoint: String, at gate: Gate) { held.withLock { $0[endpoint] = gate } }
    /// Revocations asked for, failed ones included.
    package var revocationTries: Int { state.withLock { $0.revocationTries } }
    /// Per revocation sent: the endpoint and client secret it went to, as `endpoint secret`.
    package var revokedThrough: [String] { state.withLock { $0.revokedThrough } }

    package func authorizeURL(
        provider: Provider, redirectURI: String, state: String, codeChallenge: String?, requested: [String], existing: [String]
    ) throws
        -> String
    { "https://p/authorize?state=\(state)" }

    /// A grant for any code: `issued` and `rt-issued`, for an hour.
    package func exchange(provider: Provider, code: String, redirectURI: String, codeVerifier: String?) async throws -> TokenSet {
        let now = Date()
        return TokenSet(
            accessToken: "issued", refreshToken: "rt-issued", tokenType: "Bearer", obtainedAt: now,
            expiresAt: now.addingTimeInterval(3600), scopes: nil)
    }

    package func refresh(provider: Provider, tokens: TokenSet, known: [String: JSONValue]?, redirectURI: String)
        async throws -> TokenSet
    {
        let (count, failure) = state.withLock { state -> (Int, ProviderCallError?) in
            state.refreshes += 1
            if rotating, let used = tokens.refreshToken, !state.used.insert(used).inserted {
                return (state.refreshes, ProviderCallError(.invalidGrant, "refresh token \(used) was used before"))
            }
            return (state.refreshes, state.failure ?? tokens.refreshToken.flatMap { state.failures[$0] })
        }
        await gate.wait()
        try await Task.sleep(for: .milliseconds(50))
        if let failure { throw failure }
        let now = Date()
        return TokenSet(
            accessToken: "refreshed-\(count)", refreshToken: "rt-\(count)", tokenType: "Bearer", obtainedAt: now,
            expiresAt: now.addingTimeInterval(3600), scopes: nil, responseUserInfo: refreshUserInfo)
    }

    package func userInfo(provider: Provider, tokens: TokenSet, known: [String: JSONValue]?, onRefresh: Bool) async throws
        -> [String: JSONValue]?
    {
        tokens.responseUserInfo
    }

    package func revoke(provider: Provider, tokens: TokenSet, known: [String: JSONValue]?) async throws -> Bool {
        if let gate = held.withLock({ $0[provider.oauth2.tokenRevocationRequest?.endpoint ?? ""] }) { await gate.wait() }
        try state.withLock { state in
            state.revocationTries += 1
            state.revokedThrough.append(
                "\(provider.oauth2.tokenRevocationRequest?.endpoint ?? "-") \(provider.clientSecret ?? "-")")
            if let failure = state.revocationFailure { throw failure }
            state.revoked.append(tokens.refreshToken ?? tokens.accessToken)
        }
        return true
    }
}

/// Provider `p` as an admin creates it: an authorize, a token and a refresh endpoint.
package func refreshableProviderRequest() -> AuthProviderRequest {
    AuthProviderRequest(
        id: "p", clientSecret: "s",
        oauth2: OAuth2Config(
            clientID: "c", authorizeRequest: RequestConfig(endpoint: "https://p.example/authorize"),
            tokenRequest: RequestConfig(endpoint: "https://p.example/token"),
            refreshRequest: RequestConfig(endpoint: "https://p.example/token")))
}

package let testProvider = Provider(
    id: "p", description: nil, providerType: "", enabled: true, source: .api, oauth2: OAuth2Config(clientID: "c"),
    clientSecret: "s", createdAt: Date(), updatedAt: Date())

/// Stores a connection whose token expired ten minutes ago.
package func storeStaleConnection(
    _ store: any Store, cipher: TokenCipher, user: String = "u", refreshToken: String? = "rt-0"
) async throws -> Connection {
    let past = Date().addingTimeInterval(-3600)
    let tokens = TokenSet(
        accessToken: "old", refreshToken: refreshToken, tokenType: "Bearer", obtainedAt: past,
        expiresAt: past.addingTimeInterval(3000), scopes: ["a"])
    return try await store.upsertConnection(
        Connection(
            id: SecureRandom.identifier(prefix: "uc_"), userID: user, providerID: "p", scopes: ["a"],
            sealedTokens: try cipher.seal(json: tokens, context: Connection.cipherContext(providerID: "p", userID: user)),
            expiresAt: tokens.expiresAt, userInfo: nil, status: .active, authID: "ac_1", createdAt: past, updatedAt: past))
}
