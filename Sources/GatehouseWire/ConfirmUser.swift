/// The body of `POST /v1/auth/confirm_user`.
public struct ConfirmUserRequest: Codable, Sendable, Equatable {
    /// The flow id the verifier received.
    public var flowID: String
    /// The user signed in to the app, by the app's own session.
    public var userID: String

    /// Creates a request.
    public init(flowID: String, userID: String) {
        self.flowID = flowID
        self.userID = userID
    }

    enum CodingKeys: String, CodingKey {
        case flowID = "flow_id"
        case userID = "user_id"
    }
}

/// The answer of `POST /v1/auth/confirm_user`.
public struct ConfirmUserResponse: Codable, Sendable, Equatable {
    /// The authorization id, for `status`.
    public var authID: String
    /// Where the verifier may send the browser next.
    public var nextURI: String?

    /// Creates a response.
    public init(authID: String, nextURI: String? = nil) {
        self.authID = authID
        self.nextURI = nextURI
    }

    enum CodingKeys: String, CodingKey {
        case authID = "auth_id"
        case nextURI = "next_uri"
    }
}
