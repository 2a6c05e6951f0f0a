import Foundation
import GatehouseWire

/// The built-in provider templates, by `provider_id`.
package struct ProviderCatalog: Sendable {
    /// How a built-in provider with per-tenant hosts takes its tenant from configuration.
    package struct TenantSpec: Sendable, Equatable {
        /// The placeholder in endpoints, such as `subdomain` for `{{subdomain}}`.
        package var placeholder: String
        /// The allow-list pattern a configured tenant must match in full.
        package var pattern: String
        /// An example value, for messages.
        package var example: String

        /// Creates a tenant spec.
        package init(placeholder: String, pattern: String, example: String) {
            self.placeholder = placeholder
            self.pattern = pattern
            self.example = example
        }
    }

    /// One built-in template.
    package struct Entry: Sendable {
        /// The `provider_id`, such as `google`.
        package var id: String
        /// What it is.
        package var description: String
        /// Where the provider documents its OAuth setup.
        package var docsURL: String?
        /// The template, without client credentials.
        package var oauth2: OAuth2Config
        /// Set when endpoints depend on a configured tenant.
        package var tenant: TenantSpec?
        /// Provider quirks worth knowing, in a line.
        package var quirks: String?
        /// How long a token lives when the provider's answer does not say and nothing can be
        /// introspected; nil for the engine-wide `auth.default_token_lifetime`.
        package var defaultTokenLifetime: TimeInterval?
        /// How the provider's token answers name granted scopes, where that differs from how
        /// tools ask for them.
        package var scopeRules: ScopeAnswerRules

        /// Creates an entry.
        package init(
            id: String, description: String, docsURL: String?, oauth2: OAuth2Config, tenant: TenantSpec? = nil,
            quirks: String? = nil, defaultTokenLifetime: TimeInterval? = nil, scopeRules: ScopeAnswerRules = .exact
        ) {
            self.id = id
            self.description = description
            self.docsURL = docsURL
            self.oauth2 = oauth2
            self.tenant = tenant
            self.quirks = quirks
            self.defaultTokenLifetime = defaultTokenLifetime
            self.scopeRules = scopeRules
        }
    }

    /// The entries by id.
    package let entries: [String: Entry]

    /// Creates a catalogue.
    package init(_ entries: [Entry]) {
        self.entries = Dictionary(entries.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
    }

    /// The template for a `provider_id`.
    package func entry(_ id: String) -> Entry? { entries[id] }
}
