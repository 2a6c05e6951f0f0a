import GatehouseWire

/// The built-in provider templates, by `provider_id`.
public struct ProviderCatalog: Sendable {
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

        /// Creates an entry.
        public init(id: String, description: String, docsURL: String?, oauth2: OAuth2Config) {
            self.id = id
            self.description = description
            self.docsURL = docsURL
            self.oauth2 = oauth2
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
