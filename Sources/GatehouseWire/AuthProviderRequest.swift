/// The body of `POST` and `PATCH /v1/admin/auth_providers`, and one `auth.providers` entry of
/// the config file.
public struct AuthProviderRequest: Codable, Sendable, Equatable {
    /// The provider's unique id.
    public var id: String?
    /// A description.
    public var description: String?
    /// An external id.
    public var externalID: String?
    /// The built-in template to start from, such as `google`; absent for a custom provider.
    public var providerID: String?
    /// Always `oauth2`.
    public var type: String?
    /// `active` or `inactive`.
    public var status: String?
    /// The config file's spelling of `status`.
    public var enabled: Bool?
    /// The config file's place for the client id (the API's is `oauth2.client_id`).
    public var clientID: String?
    /// The config file's place for the client secret.
    public var clientSecret: String?
    /// The tenant (organisation subdomain) for built-in providers with per-tenant hosts, such
    /// as Salesforce or Zendesk (a Gatehouse extension).
    public var tenant: String?
    /// The template.
    public var oauth2: OAuth2Config?

    /// Creates a provider request.
    public init(
        id: String? = nil, description: String? = nil, externalID: String? = nil,
        providerID: String? = nil, type: String? = nil, status: String? = nil,
        enabled: Bool? = nil, clientID: String? = nil, clientSecret: String? = nil,
        tenant: String? = nil, oauth2: OAuth2Config? = nil
    ) {
        self.id = id
        self.description = description
        self.externalID = externalID
        self.providerID = providerID
        self.type = type
        self.status = status
        self.enabled = enabled
        self.clientID = clientID
        self.clientSecret = clientSecret
        self.tenant = tenant
        self.oauth2 = oauth2
    }

    enum CodingKeys: String, CodingKey {
        case id, description, type, status, enabled, oauth2, tenant
        case externalID = "external_id"
        case providerID = "provider_id"
        case clientID = "client_id"
        case clientSecret = "client_secret"
    }
}
