/// One auth provider as the admin API shows it: Arcade's `AuthProviderResponse`.
public struct AuthProviderResponse: Codable, Sendable, Equatable {
    /// Who owns a provider: `static` (config file or built in) or `project` (admin API).
    public struct Binding: Codable, Sendable, Equatable {
        /// The owner's id.
        public var id: String?
        /// `static`, `tenant`, `project` or `account`.
        public var type: String

        /// Creates a binding.
        public init(id: String?, type: String) {
            self.id = id
            self.type = type
        }
    }

    /// What the API says about a client secret, never the secret itself.
    public struct SecretInfo: Codable, Sendable, Equatable {
        /// Who owns it.
        public var binding: String
        /// Whether the admin API may change it.
        public var editable: Bool
        /// Whether one is set.
        public var exists: Bool
        /// Its last four characters, when long enough to hide the rest.
        public var hint: String?
        /// Always `null`.
        public var value: String?

        /// Creates a secret description.
        public init(binding: String, editable: Bool, exists: Bool, hint: String?) {
            self.binding = binding
            self.editable = editable
            self.exists = exists
            self.hint = hint
            self.value = nil
        }

        /// Encodes `value` as an explicit `null`.
        public func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(binding, forKey: .binding)
            try c.encode(editable, forKey: .editable)
            try c.encode(exists, forKey: .exists)
            try c.encodeIfPresent(hint, forKey: .hint)
            try c.encode(value, forKey: .value)
        }
    }

    /// The `oauth2` block as shown.
    public struct OAuth2: Codable, Sendable, Equatable {
        /// The client id.
        public var clientID: String?
        /// The client secret's description.
        public var clientSecret: SecretInfo
        /// The callback URL to register at the provider.
        public var redirectURI: String
        /// `" "` or `","`.
        public var scopeDelimiter: String?
        /// PKCE settings.
        public var pkce: PKCEConfig?
        /// The authorize request.
        public var authorizeRequest: RequestConfig?
        /// The code exchange.
        public var tokenRequest: RequestConfig?
        /// The refresh.
        public var refreshRequest: RequestConfig?
        /// The user-info request.
        public var userInfoRequest: RequestConfig?
        /// The introspection request.
        public var tokenIntrospectionRequest: RequestConfig?
        /// The revocation request sent when a connection is deleted.
        public var tokenRevocationRequest: RequestConfig?
        /// The hosts an endpoint taking its origin from the connection may name.
        public var connectionHosts: [String]?
        /// The issuer a callback's `iss` must name.
        public var issuer: String?

        /// Creates the shown block.
        public init(config: OAuth2Config, clientSecret: SecretInfo, redirectURI: String) {
            self.clientID = config.clientID
            self.clientSecret = clientSecret
            self.redirectURI = redirectURI
            self.scopeDelimiter = config.scopeDelimiter
            self.pkce = config.pkce
            self.authorizeRequest = config.authorizeRequest
            self.tokenRequest = config.tokenRequest
            self.refreshRequest = config.refreshRequest
            self.userInfoRequest = config.userInfoRequest
            self.tokenIntrospectionRequest = config.tokenIntrospectionRequest
            self.tokenRevocationRequest = config.tokenRevocationRequest
            self.connectionHosts = config.connectionHosts
            self.issuer = config.issuer
        }

        enum CodingKeys: String, CodingKey {
            case pkce
            case clientID = "client_id"
            case clientSecret = "client_secret"
            case redirectURI = "redirect_uri"
            case scopeDelimiter = "scope_delimiter"
            case authorizeRequest = "authorize_request"
            case tokenRequest = "token_request"
            case refreshRequest = "refresh_request"
            case userInfoRequest = "user_info_request"
            case tokenIntrospectionRequest = "token_introspection_request"
            case tokenRevocationRequest = "token_revocation_request"
            case connectionHosts = "connection_hosts"
            case issuer
        }
    }

    /// The provider's unique id.
    public var id: String
    /// A description.
    public var description: String?
    /// The built-in template it uses, or empty for a custom provider.
    public var providerID: String
    /// Always `oauth2`.
    public var type: String
    /// `active` or `inactive`.
    public var status: String
    /// RFC 3339 creation time.
    public var createdAt: String
    /// RFC 3339 time of the last change.
    public var updatedAt: String
    /// Who owns it.
    public var binding: Binding
    /// The template.
    public var oauth2: OAuth2

    /// Creates a provider view.
    public init(
        id: String, description: String?, providerID: String, status: String,
        createdAt: String, updatedAt: String, binding: Binding, oauth2: OAuth2
    ) {
        self.id = id
        self.description = description
        self.providerID = providerID
        self.type = "oauth2"
        self.status = status
        self.createdAt = createdAt
        self.updatedAt = updatedAt
        self.binding = binding
        self.oauth2 = oauth2
    }

    enum CodingKeys: String, CodingKey {
        case id, description, type, status, binding, oauth2
        case providerID = "provider_id"
        case createdAt = "created_at"
        case updatedAt = "updated_at"
    }
}
