/// One user's stored grant for one provider: Arcade's `UserAuthProviderConnectionResponse`.
public struct UserConnection: Codable, Sendable, Equatable {
    /// The record id, for `DELETE /v1/admin/user_connections/{id}`.
    public var id: String
    /// The same id (Arcade carries both).
    public var connectionID: String
    /// `active`, or `reauthorization_required` after the provider refused a refresh.
    public var connectionStatus: String
    /// The auth provider's id.
    public var providerID: String
    /// The auth provider's description.
    public var providerDescription: String?
    /// Always `oauth2`.
    public var providerType: String
    /// What the provider said about the user.
    public var providerUserInfo: [String: JSONValue]?
    /// The scopes granted so far.
    public var scopes: [String]
    /// The app's user id.
    public var userID: String

    /// Creates a connection record.
    public init(
        id: String, connectionStatus: String, providerID: String, providerDescription: String?,
        providerUserInfo: [String: JSONValue]?, scopes: [String], userID: String
    ) {
        self.id = id
        self.connectionID = id
        self.connectionStatus = connectionStatus
        self.providerID = providerID
        self.providerDescription = providerDescription
        self.providerType = "oauth2"
        self.providerUserInfo = providerUserInfo
        self.scopes = scopes
        self.userID = userID
    }

    enum CodingKeys: String, CodingKey {
        case id, scopes
        case connectionID = "connection_id"
        case connectionStatus = "connection_status"
        case providerID = "provider_id"
        case providerDescription = "provider_description"
        case providerType = "provider_type"
        case providerUserInfo = "provider_user_info"
        case userID = "user_id"
    }

    /// Decodes a connection, reading what other servers leave out as Gatehouse writes it:
    /// `scopes` absent or `null` is none, `connection_id` is the `id`, `provider_type` is `oauth2`.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        id = try container.decode(String.self, forKey: .id)
        connectionID = try container.decodeIfPresent(String.self, forKey: .connectionID) ?? id
        connectionStatus = try container.decode(String.self, forKey: .connectionStatus)
        providerID = try container.decode(String.self, forKey: .providerID)
        providerDescription = try container.decodeIfPresent(String.self, forKey: .providerDescription)
        providerType = try container.decodeIfPresent(String.self, forKey: .providerType) ?? "oauth2"
        providerUserInfo = try container.decodeIfPresent([String: JSONValue].self, forKey: .providerUserInfo)
        scopes = try container.decodeIfPresent([String].self, forKey: .scopes) ?? []
        userID = try container.decode(String.self, forKey: .userID)
    }
}
