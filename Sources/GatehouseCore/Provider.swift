import Foundation
import GatehouseWire

/// A configured auth provider: a template in Arcade's `oauth2` model plus client credentials.
package struct Provider: Sendable, Equatable {
    /// Where a provider came from.
    package enum Source: String, Sendable {
        /// The config file (read only through the API).
        case config
        /// The admin API.
        case api
    }

    /// The unique id, used in `auth.start(provider=...)` and in the callback path.
    package var id: String
    /// A description.
    package var description: String?
    /// The built-in template it uses, or empty for a custom provider.
    package var providerType: String
    /// Whether it serves new authorizations.
    package var enabled: Bool
    /// Where it came from.
    package var source: Source
    /// The template; its `clientSecret` is always nil here.
    package var oauth2: OAuth2Config
    /// The client secret, decrypted only in memory.
    package var clientSecret: String?
    /// When it was created.
    package var createdAt: Date
    /// When it last changed.
    package var updatedAt: Date
    /// The lifetime assumed for a token whose answer does not say (the built-in template's
    /// `default_token_lifetime`); nil for the engine-wide default.
    package var defaultTokenLifetime: TimeInterval?
    /// How the built-in template's provider names granted scopes in its answers.
    package var scopeRules: ScopeAnswerRules

    /// Creates a provider.
    package init(
        id: String, description: String?, providerType: String, enabled: Bool, source: Source,
        oauth2: OAuth2Config, clientSecret: String?, createdAt: Date, updatedAt: Date,
        defaultTokenLifetime: TimeInterval? = nil, scopeRules: ScopeAnswerRules = .exact
    ) {
        self.id = id
        self.description = description
        self.providerType = providerType
        self.enabled = enabled
        self.source = source
        var template = oauth2
        template.clientSecret = nil
        self.oauth2 = template
        self.clientSecret = clientSecret
        self.createdAt = createdAt
        self.updatedAt = updatedAt
        self.defaultTokenLifetime = defaultTokenLifetime
        self.scopeRules = scopeRules
    }

    /// The scopes to record for a grant the provider answered with `answered`, when `requested`
    /// was asked: `ScopeSet.granted` with this provider's rules.
    package func grantedScopes(answered: [String], requested: [String]) -> [String] {
        ScopeSet.granted(answered: answered, requested: requested, rules: scopeRules)
    }

    /// Whether a grant of `granted` covers `requested`: exactly, or under this provider's rules
    /// (in another case; a scope every consent grants needs no naming).
    package func covers(granted: [String], requested: [String]) -> Bool {
        if ScopeSet.covers(granted: granted, requested: requested) { return true }
        guard scopeRules != .exact else { return false }
        return requested.allSatisfy { scope in
            scopeRules.isGrantedUnnamed(scope) || granted.contains { scopeRules.same($0, scope) }
        }
    }

    /// The client id.
    package var clientID: String { oauth2.clientID ?? "" }
    /// The delimiter that joins scopes.
    package var scopeDelimiter: String { oauth2.scopeDelimiter ?? " " }
    /// Whether PKCE (S256) is on: unless the template turns it off (RFC 9700 §2.1.1).
    package var usesPKCE: Bool { oauth2.pkce?.enabled ?? true }
    /// Where a deleted connection's grant is revoked: the origin of the template's
    /// `token_revocation_request` endpoint; for an endpoint whose origin the connection names
    /// (`{{user_info.instance_url}}`), that placeholder with the `connection_hosts` it may be.
    /// Nil when the template has none.
    package var revocationDestination: String? { oauth2.revocationDestination }
}

extension OAuth2Config {
    /// Where a deleted connection's grant is revoked (`Provider.revocationDestination`).
    package var revocationDestination: String? {
        guard let endpoint = tokenRevocationRequest?.endpoint else { return nil }
        guard let origin = ProviderRegistry.origin(tokenRevocationRequest) else { return endpoint }
        guard origin.hasPrefix("{{") else { return origin }
        return origin + " within [" + (connectionHosts ?? []).map { $0.lowercased() }.sorted().joined(separator: ", ") + "]"
    }
}

// Printed (`"\(provider)"`, `String(reflecting:)`) without its client secret. (Not
// `CustomStringConvertible`: `description` is the provider's own text.)
extension Provider: CustomDebugStringConvertible {
    /// The id, the template and the source; the client secret only as whether there is one.
    package var debugDescription: String {
        let secret = clientSecret == nil ? "none" : "<redacted>"
        return "Provider(id: \(id), type: \(providerType.isEmpty ? "custom" : providerType), source: \(source), "
            + "enabled: \(enabled), client secret: \(secret))"
    }
}
