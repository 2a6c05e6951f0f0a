/// PKCE settings of a provider.
public struct PKCEConfig: Codable, Sendable, Equatable {
    /// Whether PKCE is used.
    public var enabled: Bool?
    /// Only `S256` is accepted.
    public var codeChallengeMethod: String?

    /// Creates PKCE settings.
    public init(enabled: Bool? = nil, codeChallengeMethod: String? = nil) {
        self.enabled = enabled
        self.codeChallengeMethod = codeChallengeMethod
    }

    enum CodingKeys: String, CodingKey {
        case enabled
        case codeChallengeMethod = "code_challenge_method"
    }
}

/// The `oauth2` block of a provider, in Arcade's model, as the admin API and config file take it.
public struct OAuth2Config: Codable, Sendable, Equatable {
    /// The client id registered at the provider.
    public var clientID: String?
    /// The client secret registered at the provider (write only).
    public var clientSecret: String?
    /// `" "` or `","`.
    public var scopeDelimiter: String?
    /// PKCE settings.
    public var pkce: PKCEConfig?
    /// The browser's authorize request.
    public var authorizeRequest: RequestConfig?
    /// The code exchange.
    public var tokenRequest: RequestConfig?
    /// The refresh; absent means no refresh.
    public var refreshRequest: RequestConfig?
    /// The user-info request.
    public var userInfoRequest: RequestConfig?
    /// The introspection request, for providers whose token responses lack expiry or scope.
    public var tokenIntrospectionRequest: RequestConfig?
    /// The revocation request (RFC 7009), sent when a connection is deleted; absent means the
    /// grant is only forgotten here. A Gatehouse extension.
    public var tokenRevocationRequest: RequestConfig?
    /// The hosts an endpoint may name when it takes its origin from the connection
    /// (`{{user_info.instance_url}}/services/oauth2/token`): `login.example.com`, or
    /// `*.my.salesforce.com` for any name under that domain. A Gatehouse extension.
    public var connectionHosts: [String]?
    /// The authorization server's issuer identifier (RFC 8414), for providers that name it in
    /// their redirect back (`iss`, RFC 9207): a callback must then carry exactly this. A Gatehouse
    /// extension.
    public var issuer: String?

    /// Creates an `oauth2` block.
    public init(
        clientID: String? = nil, clientSecret: String? = nil, scopeDelimiter: String? = nil,
        pkce: PKCEConfig? = nil, authorizeRequest: RequestConfig? = nil,
        tokenRequest: RequestConfig? = nil, refreshRequest: RequestConfig? = nil,
        userInfoRequest: RequestConfig? = nil, tokenIntrospectionRequest: RequestConfig? = nil,
        tokenRevocationRequest: RequestConfig? = nil, connectionHosts: [String]? = nil, issuer: String? = nil
    ) {
        self.clientID = clientID
        self.clientSecret = clientSecret
        self.scopeDelimiter = scopeDelimiter
        self.pkce = pkce
        self.authorizeRequest = authorizeRequest
        self.tokenRequest = tokenRequest
        self.refreshRequest = refreshRequest
        self.userInfoRequest = userInfoRequest
        self.tokenIntrospectionRequest = tokenIntrospectionRequest
        self.tokenRevocationRequest = tokenRevocationRequest
        self.connectionHosts = connectionHosts
        self.issuer = issuer
    }

    enum CodingKeys: String, CodingKey {
        case pkce
        case clientID = "client_id"
        case clientSecret = "client_secret"
        case scopeDelimiter = "scope_delimiter"
        case authorizeRequest = "authorize_request"
        case tokenRequest = "token_request"
        case refreshRequest = "refresh_request"
        case userInfoRequest = "user_info_request"
        case tokenIntrospectionRequest = "token_introspection_request"
        case tokenRevocationRequest = "token_revocation_request"
        case connectionHosts = "connection_hosts"
        case issuer
        // Legacy spellings seen in Arcade's docs (Figma page).
        case usePKCE = "use_pkce"
        case pkceCodeChallengeMethod = "pkce_code_challenge_method"
    }

    /// Decodes the block, taking `use_pkce`/`pkce_code_challenge_method` as aliases of `pkce`.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        clientID = try c.decodeIfPresent(String.self, forKey: .clientID)
        clientSecret = try c.decodeIfPresent(String.self, forKey: .clientSecret)
        scopeDelimiter = try c.decodeIfPresent(String.self, forKey: .scopeDelimiter)
        pkce = try c.decodeIfPresent(PKCEConfig.self, forKey: .pkce)
        if pkce == nil, let legacy = try c.decodeIfPresent(Bool.self, forKey: .usePKCE) {
            pkce = PKCEConfig(
                enabled: legacy,
                codeChallengeMethod: try c.decodeIfPresent(String.self, forKey: .pkceCodeChallengeMethod))
        }
        authorizeRequest = try c.decodeIfPresent(RequestConfig.self, forKey: .authorizeRequest)
        tokenRequest = try c.decodeIfPresent(RequestConfig.self, forKey: .tokenRequest)
        refreshRequest = try c.decodeIfPresent(RequestConfig.self, forKey: .refreshRequest)
        userInfoRequest = try c.decodeIfPresent(RequestConfig.self, forKey: .userInfoRequest)
        tokenIntrospectionRequest = try c.decodeIfPresent(RequestConfig.self, forKey: .tokenIntrospectionRequest)
        tokenRevocationRequest = try c.decodeIfPresent(RequestConfig.self, forKey: .tokenRevocationRequest)
        connectionHosts = try c.decodeIfPresent([String].self, forKey: .connectionHosts)
        issuer = try c.decodeIfPresent(String.self, forKey: .issuer)
    }

    /// Encodes the block in the current spelling.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encodeIfPresent(clientID, forKey: .clientID)
        try c.encodeIfPresent(clientSecret, forKey: .clientSecret)
        try c.encodeIfPresent(scopeDelimiter, forKey: .scopeDelimiter)
        try c.encodeIfPresent(pkce, forKey: .pkce)
        try c.encodeIfPresent(authorizeRequest, forKey: .authorizeRequest)
        try c.encodeIfPresent(tokenRequest, forKey: .tokenRequest)
        try c.encodeIfPresent(refreshRequest, forKey: .refreshRequest)
        try c.encodeIfPresent(userInfoRequest, forKey: .userInfoRequest)
        try c.encodeIfPresent(tokenIntrospectionRequest, forKey: .tokenIntrospectionRequest)
        try c.encodeIfPresent(tokenRevocationRequest, forKey: .tokenRevocationRequest)
        try c.encodeIfPresent(connectionHosts, forKey: .connectionHosts)
        try c.encodeIfPresent(issuer, forKey: .issuer)
    }
}
