import GatehouseWire

// Where a token answer's secrets must not go: apps read the access token, the user info and
// the scopes, and the store keeps the user info and the scopes unsealed. Only a template puts
// them there (a response map of the token, refresh or introspection request that reads a token,
// or an endpoint that echoes one); the template check refuses the plain paths, these checks the
// rest (nested paths, functions, echoes) when the answer is read.
extension TemplateProviderClient {
    /// Refuses a token set whose access token is the grant's refresh token (the provider did not
    /// issue it as the access token: a response map chose it), or whose scopes hold a token or the
    /// client secret. Refused, not mended, so that the operator sees the template is wrong.
    static func checkExposure(
        access: String, refreshToken: String?, scopes: [String]?, answer: JSONValue, clientSecrets: [String]
    ) throws {
        let members = answer.objectValue ?? [:]
        let refreshTokens = Set([refreshToken, members["refresh_token"]?.stringValue].compactMap { $0 }.filter { !$0.isEmpty })
        if refreshTokens.contains(access), members["access_token"]?.stringValue != access {
            throw ProviderCallError(
                .configuration,
                "the response map makes the grant's refresh token the access token, which apps read: correct the template")
        }
        let secrets = refreshTokens.union(
            ([access, members["id_token"]?.stringValue] + clientSecrets).compactMap { $0 }.filter { !$0.isEmpty })
        if let scopes, scopes.contains(where: { JSONValue.string($0).redacting(secrets) == nil }) {
            throw ProviderCallError(
                .configuration,
                "the granted scopes hold a token or the client secret (a response map reads one): apps read the scopes, and the store keeps them unsealed; correct the template"
            )
        }
    }

    /// The client secret as a request may carry it: itself, and its Basic credentials (an
    /// endpoint that echoes the request's headers would return those).
    static func clientSecrets(of provider: Provider) -> [String] {
        guard let secret = provider.clientSecret, !secret.isEmpty else { return [] }
        let basic = FormEncoding.basicCredentials(clientID: provider.clientID, secret: secret)
        return [secret, String(basic.dropFirst("Basic ".count))]
    }
}
