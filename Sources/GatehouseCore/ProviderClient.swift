import Foundation
import GatehouseWire

/// Talks to a provider's endpoints as its template says. The seam for provider traffic.
package protocol ProviderClient: Sendable {
    /// The browser URL of the provider's authorize request.
    func authorizeURL(
        provider: Provider, redirectURI: String, state: String, codeChallenge: String?,
        requested: [String], existing: [String]
    ) throws -> String
    /// Exchanges an authorization code for tokens.
    func exchange(provider: Provider, code: String, redirectURI: String, codeVerifier: String?) async throws -> TokenSet
    /// Uses a refresh token; keeps the old refresh token when the answer has none. `known` is
    /// what the connection knows of its user, for `{{user_info.<key>}}` in the template.
    func refresh(provider: Provider, tokens: TokenSet, known: [String: JSONValue]?, redirectURI: String) async throws
        -> TokenSet
    /// Fetches user info when the template has a request for it and the trigger applies; `known`
    /// as for `refresh`, under what the token answer said.
    func userInfo(provider: Provider, tokens: TokenSet, known: [String: JSONValue]?, onRefresh: Bool) async throws
        -> [String: JSONValue]?
    /// Revokes the grant at the provider when the template has a revocation request; false when
    /// it has none. `known` as for `refresh`.
    func revoke(provider: Provider, tokens: TokenSet, known: [String: JSONValue]?) async throws -> Bool
}
