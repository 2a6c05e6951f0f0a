import GatehouseWire

// Where a token answer's secrets must not go: apps read the access token, the user info and
// the scopes, and the store keeps the user info and the scopes unsealed. Only a template puts
// them there (a response map of the token, refresh or introspection request that reads a token,
// or an endpoint that echoes one); the template check refuses the plain paths, these checks the
// rest (nested paths, functions, echoes) when the answer is read.
extension TemplateProviderClient {
    /// Refuses a token set whose access token is or holds a refresh token (the provider did not
    /// issue it as an access token: a response map chose it) or the client secret, or whose scopes
    /// hold a token or the client secret. Refused, not mended, so that the operator sees the
    /// template is wrong. `sent`: the refresh token this request sent (never an access token);
    /// `refreshToken`: the grant's as mapped. Every string the answer holds under a
    /// `refresh_token` member at any depth counts as well: a map that reads the refresh token from
    /// elsewhere, or none, does not make the one Slack nests (`authed_user`) anything else. Only a
    /// provider that issues one string as both, at the top of its answer, hands it out.
    /// `secrets`: what the scopes must not hold (`secrets(access:refreshTokens:answer:clientSecrets:)`,
    /// made once for the user info too).
    static func checkExposure(
        access: String, sent: String?, refreshToken: String?, scopes: [String]?, answer: JSONValue, clientSecrets: [String],
        secrets: Set<String>
    ) throws {
        let holds = { (secret: String) in secret == access || (secret.count >= 8 && access.contains(secret)) }
        if clientSecrets.flatMap(SecretForms.of).contains(where: holds) {
            throw ProviderCallError(
                .configuration,
                "the response map makes the client secret (or its credentials) the access token, which apps read: correct the template"
            )
        }
        // The refresh token this request sent is never an access token; one the answer holds is
        // only when the provider issued that string as its access token, at the top.
        let issued = answer.objectValue?["access_token"]?.stringValue == access
        let held = ([refreshToken].compactMap { $0 } + Self.tokens(in: answer, under: ["refresh_token"])).filter { !$0.isEmpty }
        // In every form: an echo of the request's form carries the sent token percent-encoded.
        let sentForms = sent.map { $0.isEmpty ? [] : SecretForms.of($0) } ?? []
        if sentForms.contains(where: holds) || (!issued && held.flatMap(SecretForms.of).contains(where: holds)) {
            throw ProviderCallError(
                .configuration,
                "the response map makes the grant's refresh token the access token, which apps read: correct the template")
        }
        if let scopes, scopes.contains(where: { JSONValue.string($0).redacting(secrets) == nil }) {
            throw ProviderCallError(
                .configuration,
                "the granted scopes hold a token or the client secret (a response map reads one): apps read the scopes, and the store keeps them unsealed; correct the template"
            )
        }
    }

    /// What the scopes and the user info must not hold, in every form `SecretForms` knows: the
    /// access token, the grant's refresh tokens, every token the answer holds at any depth
    /// (`access_token`, `refresh_token`, `id_token` members), and the client secret's forms.
    static func secrets(access: String, refreshTokens: [String?], answer: JSONValue, clientSecrets: [String]) -> Set<String> {
        let held = tokens(in: answer, under: ProviderTemplateValidator.tokenMembers)
        return Set(
            ([access] + refreshTokens.compactMap { $0 } + held + clientSecrets).filter { !$0.isEmpty }.flatMap(SecretForms.of))
    }

    /// The answer's own `members` at its top, and the strings of 8 characters or more under them
    /// at any depth: tokens, not the short words an object there may hold (`"type": "user"`),
    /// which would take equal words out of the user info and the scopes.
    static func tokens(in answer: JSONValue, under members: Set<String>) -> [String] {
        members.compactMap { answer.objectValue?[$0]?.stringValue } + answer.strings(under: members).filter { $0.count >= 8 }
    }

    /// The client secret as a request may carry it: itself, and its Basic credentials (an
    /// endpoint that echoes the request's headers would return those).
    static func clientSecrets(of provider: Provider) -> [String] {
        guard let secret = provider.clientSecret, !secret.isEmpty else { return [] }
        let basic = FormEncoding.basicCredentials(clientID: provider.clientID, secret: secret)
        return [secret, String(basic.dropFirst("Basic ".count))]
    }
}
