/// A tool secret as `/v1/admin/secrets` shows it: never its value.
public struct StoredSecretResponse: Codable, Sendable, Equatable {
    /// The record id, for `DELETE /v1/admin/secrets/{id}`.
    public var id: String
    /// The secret's key, such as `SALESFORCE_ORG_SUBDOMAIN`.
    public var key: String
    /// A description.
    public var description: String?
    /// The value's last characters, when long enough to hide the rest.
    public var hint: String?
    /// Who owns it.
    public var binding: AuthProviderResponse.Binding
    /// RFC 3339 creation time.
    public var createdAt: String
    /// RFC 3339 time of the last change.
    public var updatedAt: String
    /// RFC 3339 time it was last read, if ever.
    public var lastAccessedAt: String?

    /// Creates a secret view.
    public init(
        id: String, key: String, description: String?, hint: String?, createdAt: String, updatedAt: String,
        lastAccessedAt: String?
    ) {
        self.id = id
        self.key = key
        self.description = description
        self.hint = hint
        self.binding = .init(id: "default", type: "project")
        self.createdAt = createdAt
        self.updatedAt = updatedAt
        self.lastAccessedAt = lastAccessedAt
    }

    enum CodingKeys: String, CodingKey {
        case id, key, description, hint, binding
        case createdAt = "created_at"
        case updatedAt = "updated_at"
        case lastAccessedAt = "last_accessed_at"
    }
}

/// The body of `POST /v1/admin/secrets/{secret_key}`.
public struct SecretUpsertRequest: Codable, Sendable, Equatable {
    /// The value (write only).
    public var value: String
    /// A description.
    public var description: String?

    /// Creates a request.
    public init(value: String, description: String? = nil) {
        self.value = value
        self.description = description
    }
}
