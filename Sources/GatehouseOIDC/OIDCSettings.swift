/// The app's OpenID Provider, as `auth.user_verification.oidc` configures it.
package struct OIDCSettings: Sendable, Equatable, CustomStringConvertible {
    /// The issuer URL; discovery is read from `<issuer>/.well-known/openid-configuration`.
    package var issuer: String
    /// Gatehouse's client id at the OpenID Provider.
    package var clientID: String
    /// Its client secret.
    package var clientSecret: String
    /// The ID token claim that must equal the flow's `user_id` (`sub` unless configured).
    package var userClaim: String
    /// Scopes asked besides `openid`.
    package var scopes: [String]

    /// Creates settings.
    package init(issuer: String, clientID: String, clientSecret: String, userClaim: String = "sub", scopes: [String] = []) {
        self.issuer = issuer
        self.clientID = clientID
        self.clientSecret = clientSecret
        self.userClaim = userClaim
        self.scopes = scopes
    }

    /// The `scope` parameter: `openid` first, then the configured ones, each once.
    package var scopeParameter: String {
        var seen: Set<String> = ["openid"]
        return (["openid"] + scopes.filter { seen.insert($0).inserted }).joined(separator: " ")
    }

    /// The settings without the secret, should they ever be printed.
    package var description: String {
        "OIDCSettings(issuer: \(issuer), clientID: \(clientID), clientSecret: <redacted>, userClaim: \(userClaim), scopes: \(scopes))"
    }
}
