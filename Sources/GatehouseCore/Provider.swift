import Foundation
import GatehouseWire

/// A configured auth provider: a template in Arcade's `oauth2` model plus client credentials.
public struct Provider: Sendable, Equatable {
    /// Where a provider came from.
    public enum Source: String, Sendable {
        /// The config file (read only through the API).
        case config
        /// The admin API.
        case api
    }

    /// The unique id, used in `auth.start(provider=...)` and in the callback path.
    public var id: String
    /// A description.
    public var description: String?
    /// The built-in template it uses, or empty for a custom provider.
    public var providerType: String
    /// Whether it serves new authorizations.
    public var enabled: Bool
    /// Where it came from.
    public var source: Source
    /// The template; its `clientSecret` is always nil here.
    public var oauth2: OAuth2Config
    /// The client secret, decrypted only in memory.
    public var clientSecret: String?
    /// When it was created.
    public var createdAt: Date
    /// When it last changed.
    public var updatedAt: Date

    /// Creates a provider.
    public init(
        id: String, description: String?, providerType: String, enabled: Bool, source: Source,
        oauth2: OAuth2Config, clientSecret: String?, createdAt: Date, updatedAt: Date
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
    }

    /// The client id.
    public var clientID: String { oauth2.clientID ?? "" }
    /// The delimiter that joins scopes.
    public var scopeDelimiter: String { oauth2.scopeDelimiter ?? " " }
    /// Whether PKCE (S256) is on: unless the template turns it off (RFC 9700 §2.1.1).
    public var usesPKCE: Bool { oauth2.pkce?.enabled ?? true }
}
