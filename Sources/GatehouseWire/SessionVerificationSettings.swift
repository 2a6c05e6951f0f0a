/// The user-verification setting (`/v1/admin/settings/session_verification`).
public struct SessionVerificationSettings: Codable, Sendable, Equatable {
    /// The app's verifier route; `null` when none is set.
    public var verifierURL: String?
    /// Whether flows complete without checking who finished them (development only).
    public var unsafeSkipVerification: Bool
    /// Whether the operator allowed choosing the unsafe skip.
    public var unsafeSkipVerificationChoiceAllowed: Bool

    /// Creates the setting.
    public init(verifierURL: String?, unsafeSkipVerification: Bool, unsafeSkipVerificationChoiceAllowed: Bool) {
        self.verifierURL = verifierURL
        self.unsafeSkipVerification = unsafeSkipVerification
        self.unsafeSkipVerificationChoiceAllowed = unsafeSkipVerificationChoiceAllowed
    }

    enum CodingKeys: String, CodingKey {
        case verifierURL = "verifier_url"
        case unsafeSkipVerification = "unsafe_skip_verification"
        case unsafeSkipVerificationChoiceAllowed = "unsafe_skip_verification_choice_allowed"
    }

    /// Encodes `verifier_url` even when it is `null`, as Arcade does.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(verifierURL, forKey: .verifierURL)
        try container.encode(unsafeSkipVerification, forKey: .unsafeSkipVerification)
        try container.encode(unsafeSkipVerificationChoiceAllowed, forKey: .unsafeSkipVerificationChoiceAllowed)
    }
}

/// The body of `PUT /v1/admin/settings/session_verification`.
public struct SessionVerificationUpdate: Codable, Sendable, Equatable {
    /// The app's verifier route, or `null` to clear it.
    public var verifierURL: String?
    /// Whether to skip verification (development only).
    public var unsafeSkipVerification: Bool?

    /// Creates an update.
    public init(verifierURL: String?, unsafeSkipVerification: Bool?) {
        self.verifierURL = verifierURL
        self.unsafeSkipVerification = unsafeSkipVerification
    }

    enum CodingKeys: String, CodingKey {
        case verifierURL = "verifier_url"
        case unsafeSkipVerification = "unsafe_skip_verification"
    }
}
