/// What Gatehouse reads of an OpenID Provider's discovery document (OpenID Connect Discovery 1.0 §3).
struct OIDCDiscovery: Decodable, Sendable {
    /// Must equal the configured issuer exactly (§4.3).
    var issuer: String
    /// Where the browser signs in.
    var authorizationEndpoint: String
    /// Where the code is redeemed.
    var tokenEndpoint: String
    /// The signing keys.
    var jwksURI: String
    /// How the client may authenticate at the token endpoint; absent means `client_secret_basic`.
    var tokenEndpointAuthMethodsSupported: [String]?

    enum CodingKeys: String, CodingKey {
        case issuer
        case authorizationEndpoint = "authorization_endpoint"
        case tokenEndpoint = "token_endpoint"
        case jwksURI = "jwks_uri"
        case tokenEndpointAuthMethodsSupported = "token_endpoint_auth_methods_supported"
    }
}
