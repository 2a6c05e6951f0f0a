/// One outbound request of a provider template (authorize, token, refresh, user info,
/// introspection), in Arcade's `oauth2` model.
public struct RequestConfig: Codable, Sendable, Equatable {
    /// When an optional request runs.
    public struct Triggers: Codable, Sendable, Equatable {
        /// Run after a code is exchanged.
        public var onTokenGrant: Bool?
        /// Run after a refresh.
        public var onTokenRefresh: Bool?

        /// Creates triggers.
        public init(onTokenGrant: Bool? = nil, onTokenRefresh: Bool? = nil) {
            self.onTokenGrant = onTokenGrant
            self.onTokenRefresh = onTokenRefresh
        }

        enum CodingKeys: String, CodingKey {
            case onTokenGrant = "on_token_grant"
            case onTokenRefresh = "on_token_refresh"
        }
    }

    /// The URL.
    public var endpoint: String?
    /// `GET` or `POST`.
    public var method: String?
    /// `none` (or empty), `client_secret_basic`, `client_secret_post` or `bearer_access_token`.
    public var authMethod: String?
    /// Parameters, with `{{placeholders}}`.
    public var params: [String: String]?
    /// Extra request headers, with `{{placeholders}}` (a Gatehouse extension).
    public var headers: [String: String]?
    /// `application/x-www-form-urlencoded` or `application/json`.
    public var requestContentType: String?
    /// `application/x-www-form-urlencoded` or `application/json`.
    public var responseContentType: String?
    /// Output key to JSONPath expression (`$.a.b`, `join(...)`, `jwt_decode(...)`).
    public var responseMap: [String: String]?
    /// The `Authorization` header's value format, e.g. `Bearer {{access_token}}`.
    public var authHeaderValueFormat: String?
    /// `absolute_unix_timestamp` or `relative_seconds` (introspection).
    public var expirationFormat: String?
    /// When the request runs (user info, introspection).
    public var triggers: Triggers?
    /// Whether the request is on (introspection).
    public var enabled: Bool?

    /// Creates a request configuration.
    public init(
        endpoint: String? = nil, method: String? = nil, authMethod: String? = nil,
        params: [String: String]? = nil, headers: [String: String]? = nil,
        requestContentType: String? = nil, responseContentType: String? = nil,
        responseMap: [String: String]? = nil, authHeaderValueFormat: String? = nil,
        expirationFormat: String? = nil, triggers: Triggers? = nil, enabled: Bool? = nil
    ) {
        self.endpoint = endpoint
        self.method = method
        self.authMethod = authMethod
        self.params = params
        self.headers = headers
        self.requestContentType = requestContentType
        self.responseContentType = responseContentType
        self.responseMap = responseMap
        self.authHeaderValueFormat = authHeaderValueFormat
        self.expirationFormat = expirationFormat
        self.triggers = triggers
        self.enabled = enabled
    }

    enum CodingKeys: String, CodingKey {
        case endpoint, method, params, headers, triggers, enabled
        case authMethod = "auth_method"
        case requestContentType = "request_content_type"
        case responseContentType = "response_content_type"
        case responseMap = "response_map"
        case authHeaderValueFormat = "auth_header_value_format"
        case expirationFormat = "expiration_format"
    }
}
