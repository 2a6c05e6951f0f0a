/// The body of `POST /v1/auth/authorize`: Arcade's `AuthorizationInitiationRequest`.
public struct AuthorizationRequest: Codable, Sendable, Equatable {
    /// What the app needs: which provider, which scopes.
    public struct Requirement: Codable, Sendable, Equatable {
        /// The OAuth 2.0 part of a requirement.
        public struct OAuth2: Codable, Sendable, Equatable {
            /// The scopes the app needs.
            public var scopes: [String]?

            /// Creates the OAuth 2.0 part.
            public init(scopes: [String]? = nil) { self.scopes = scopes }
        }

        /// A configured provider's id, or a provider type such as `google`.
        public var providerID: String?
        /// A specific configured provider's id.
        public var id: String?
        /// Always `oauth2` today.
        public var providerType: String?
        /// The scopes.
        public var oauth2: OAuth2?

        /// Creates a requirement.
        public init(
            providerID: String? = nil, id: String? = nil, providerType: String? = "oauth2",
            oauth2: OAuth2? = nil
        ) {
            self.providerID = providerID
            self.id = id
            self.providerType = providerType
            self.oauth2 = oauth2
        }

        enum CodingKeys: String, CodingKey {
            case id, oauth2
            case providerID = "provider_id"
            case providerType = "provider_type"
        }
    }

    /// What the app needs.
    public var authRequirement: Requirement
    /// The app's user id.
    public var userID: String
    /// Where to send the browser once the authorization completes.
    public var nextURI: String?

    /// Creates a request.
    public init(authRequirement: Requirement, userID: String, nextURI: String? = nil) {
        self.authRequirement = authRequirement
        self.userID = userID
        self.nextURI = nextURI
    }

    enum CodingKeys: String, CodingKey {
        case authRequirement = "auth_requirement"
        case userID = "user_id"
        case nextURI = "next_uri"
    }
}
