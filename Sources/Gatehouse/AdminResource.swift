/// `client.admin`: auth providers, user connections and secrets.
public struct AdminResource: Sendable {
    let transport: APITransport

    /// Auth providers.
    public var authProviders: AuthProvidersResource { AuthProvidersResource(transport: transport) }
    /// Users' stored grants.
    public var userConnections: UserConnectionsResource { UserConnectionsResource(transport: transport) }
    /// Tool secrets.
    public var secrets: SecretsResource { SecretsResource(transport: transport) }
}

/// `/v1/admin/auth_providers`.
public struct AuthProvidersResource: Sendable {
    let transport: APITransport

    /// Every provider.
    public func list() async throws -> [AuthProviderResponse] {
        try await transport.send("GET", "/v1/admin/auth_providers", as: OffsetPage<AuthProviderResponse>.self).items
    }

    /// One provider.
    public func get(id: String) async throws -> AuthProviderResponse {
        try await transport.send("GET", "/v1/admin/auth_providers/\(APITransport.escape(id))", as: AuthProviderResponse.self)
    }

    /// Creates a provider (a built-in one by `providerID`, or a custom `oauth2` template).
    public func create(_ request: AuthProviderRequest) async throws -> AuthProviderResponse {
        try await transport.send("POST", "/v1/admin/auth_providers", body: request, as: AuthProviderResponse.self)
    }

    /// Changes a provider; absent fields stay as they are.
    public func patch(id: String, _ request: AuthProviderRequest) async throws -> AuthProviderResponse {
        try await transport.send(
            "PATCH", "/v1/admin/auth_providers/\(APITransport.escape(id))", body: request, as: AuthProviderResponse.self)
    }

    /// Deletes a provider and returns it.
    @discardableResult
    public func delete(id: String) async throws -> AuthProviderResponse {
        try await transport.send("DELETE", "/v1/admin/auth_providers/\(APITransport.escape(id))", as: AuthProviderResponse.self)
    }
}

/// `/v1/admin/user_connections`.
public struct UserConnectionsResource: Sendable {
    let transport: APITransport

    /// One page of connections, optionally for one user and/or provider.
    public func list(userID: String? = nil, providerID: String? = nil, limit: Int = 25, offset: Int = 0) async throws
        -> OffsetPage<UserConnection>
    {
        var query = [("limit", String(limit)), ("offset", String(offset))]
        // The official clients' spelling, which every version of the API takes.
        if let userID { query.append(("user[id]", userID)) }
        if let providerID { query.append(("provider[id]", providerID)) }
        return try await transport.send("GET", "/v1/admin/user_connections", query: query, as: OffsetPage<UserConnection>.self)
    }

    /// Every matching connection, fetched page by page as the sequence is read.
    public func all(userID: String? = nil, providerID: String? = nil, pageSize: Int = 100) -> UserConnectionSequence {
        UserConnectionSequence(resource: self, userID: userID, providerID: providerID, pageSize: pageSize)
    }

    /// Deletes a connection: the user must authorize again.
    public func delete(id: String) async throws {
        _ = try await transport.raw("DELETE", "/v1/admin/user_connections/\(APITransport.escape(id))")
    }
}

/// The connections of a query, read lazily one page at a time.
public struct UserConnectionSequence: AsyncSequence, Sendable {
    /// One connection.
    public typealias Element = UserConnection

    let resource: UserConnectionsResource
    let userID: String?
    let providerID: String?
    let pageSize: Int

    /// Makes an iterator that starts at the first page.
    public func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(sequence: self)
    }

    /// Fetches the next page when the current one is used up.
    public struct AsyncIterator: AsyncIteratorProtocol {
        let sequence: UserConnectionSequence
        var buffer: [UserConnection] = []
        var offset = 0
        var exhausted = false

        /// The next connection, or nil after the last.
        public mutating func next() async throws -> UserConnection? {
            if buffer.isEmpty, !exhausted {
                let page = try await sequence.resource.list(
                    userID: sequence.userID, providerID: sequence.providerID, limit: sequence.pageSize, offset: offset)
                buffer = page.items
                offset += page.items.count
                exhausted = page.items.isEmpty || offset >= page.totalCount
            }
            return buffer.isEmpty ? nil : buffer.removeFirst()
        }
    }
}
