import GatehouseWire

/// `/v1/admin/secrets`: values the tools of a deployment read (an org's subdomain, an API key of
/// its own), stored sealed and never shown again.
public struct SecretsResource: Sendable {
    let transport: APITransport

    /// Every secret, without its value (its last characters, when long enough, in `hint`).
    public func list() async throws -> [StoredSecretResponse] {
        try await transport.send("GET", "/v1/admin/secrets", as: OffsetPage<StoredSecretResponse>.self).items
    }

    /// Stores `value` under `key` (1 to 256 letters, digits, `-`, `_`, `.`), replacing what the
    /// key held.
    @discardableResult
    public func upsert(key: String, value: String, description: String? = nil) async throws -> StoredSecretResponse {
        try await transport.send(
            "POST", "/v1/admin/secrets/\(APITransport.escape(key))",
            body: SecretUpsertRequest(value: value, description: description), as: StoredSecretResponse.self)
    }

    /// Deletes a secret by its id (`StoredSecretResponse.id`, not its key).
    public func delete(id: String) async throws {
        _ = try await transport.raw("DELETE", "/v1/admin/secrets/\(APITransport.escape(id))")
    }
}
