import GatehouseWire

/// The built-in provider templates, by `provider_id`.
public struct ProviderCatalog: Sendable {
    /// How a built-in provider with per-tenant hosts takes its tenant from configuration.
    public struct TenantSpec: Sendable, Equatable {
        /// The placeholder in endpoints, such as `subdomain` for `{{subdomain}}`.
        public var placeholder: String
        /// The allow-list pattern a configured tenant must match in full.
        public var pattern: String
        /// An example value, for messages.
        public var example: String

        /// Creates a tenant spec.
        public init(placeholder: String, pattern: String, example: String) {
            self.placeholder = placeholder
            self.pattern = pattern
            self.example = example
        }
    }

    /// One built-in template.
    public struct Entry: Sendable {
        /// The `provider_id`, such as `google`.
        public var id: String
        /// What it is.
        public var description: String
        /// Where the provider documents its OAuth setup.
        public var docsURL: String?
        /// The template, without client credentials.
        public var oauth2: OAuth2Config
        /// Set when endpoints depend on a configured tenant.
        public var tenant: TenantSpec?
        /// Provider quirks worth knowing, in a line.
        public var quirks: String?

        /// Creates an entry.
        public init(
            id: String, description: String, docsURL: String?, oauth2: OAuth2Config, tenant: TenantSpec? = nil,
            quirks: String? = nil
        ) {
            self.id = id
            self.description = description
            self.docsURL = docsURL
            self.oauth2 = oauth2
            self.tenant = tenant
            self.quirks = quirks
        }
    }

    /// The entries by id.
    public let entries: [String: Entry]

    /// Creates a catalogue.
    public init(_ entries: [Entry]) {
        self.entries = Dictionary(entries.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
    }

    /// The template for a `provider_id`.
    public func entry(_ id: String) -> Entry? { entries[id] }
}
