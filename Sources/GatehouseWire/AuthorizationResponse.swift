/// The answer of `authorize` and `status`: Arcade's `AuthorizationResponse`.
public struct AuthorizationResponse: Codable, Sendable, Equatable {
    /// What a completed authorization hands the app.
    public struct Context: Codable, Sendable, Equatable {
        /// The provider's access token.
        public var token: String?
        /// What the provider's user-info endpoint said about the user.
        public var userInfo: [String: JSONValue]?

        /// Creates a context.
        public init(token: String? = nil, userInfo: [String: JSONValue]? = nil) {
            self.token = token
            self.userInfo = userInfo
        }

        enum CodingKeys: String, CodingKey {
            case token
            case userInfo = "user_info"
        }
    }

    /// The authorization id (`ac_...`), present even when completed.
    public var id: String?
    /// Where the authorization stands.
    public var status: AuthorizationStatus?
    /// The page the user must open, while the authorization is not completed.
    public var url: String?
    /// The scopes requested, or granted once completed.
    public var scopes: [String]?
    /// The auth provider's id.
    public var providerID: String?
    /// The app's user id.
    public var userID: String?
    /// The token and user info, once completed.
    public var context: Context?
    /// Why the authorization failed, in words (Gatehouse's own field; Arcade's clients ignore it):
    /// the user declined, the provider refused the code, the flow expired, and so on.
    public var statusReason: String?

    /// Creates a response.
    public init(
        id: String? = nil, status: AuthorizationStatus? = nil, url: String? = nil,
        scopes: [String]? = nil, providerID: String? = nil, userID: String? = nil,
        context: Context? = nil, statusReason: String? = nil
    ) {
        self.id = id
        self.status = status
        self.url = url
        self.scopes = scopes
        self.providerID = providerID
        self.userID = userID
        self.context = context
        self.statusReason = statusReason
    }

    enum CodingKeys: String, CodingKey {
        case id, status, url, scopes, context
        case providerID = "provider_id"
        case userID = "user_id"
        case statusReason = "status_reason"
    }
}
