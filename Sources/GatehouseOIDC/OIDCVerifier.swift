import Foundation
import GatehouseCore
import GatehouseWire
import JWTKit

/// User verification through the app's own OpenID Provider: authorization code with PKCE and a
/// nonce, discovery from the issuer, and the ID token checked with jwt-kit (signature from the
/// provider's JWKS, issuer, audience, expiry, nonce) before its user claim is believed.
package actor OIDCVerifier: IdentityVerifier {
    private let settings: OIDCSettings
    private let redirectURI: String
    private let transport: any HTTPTransport
    private let now: @Sendable () -> Date
    private var discovery: (document: OIDCDiscovery, fetched: Date)?
    private var keys: (collection: JWTKeyCollection, kids: Set<String>, fetched: Date)?

    /// How long a discovery document is trusted before it is read again.
    package static let discoveryLifetime: TimeInterval = 3600
    /// An ID token signed by a key not yet seen makes the JWKS be read again (key rotation), at
    /// most this often.
    package static let keyRefetchInterval: TimeInterval = 5
    /// The id given to a JWKS's only key when it has none.
    static let unnamedKeyID = "gatehouse:the-only-key"

    /// Creates a verifier; `redirectURI` is Gatehouse's `/v1/oauth/user_verification`.
    package init(
        settings: OIDCSettings, redirectURI: String, transport: any HTTPTransport,
        now: @escaping @Sendable () -> Date = Date.init
    ) {
        self.settings = settings
        self.redirectURI = redirectURI
        self.transport = transport
        self.now = now
    }

    /// Where to send the browser to sign in at the OpenID Provider, with this leg's state, nonce
    /// and PKCE challenge.
    package func signInURL(state: String, nonce: String, codeChallenge: String) async throws -> String {
        let endpoint = try await document().authorizationEndpoint
        let query = FormEncoding.encode([
            "response_type": "code", "client_id": settings.clientID, "redirect_uri": redirectURI,
            "scope": settings.scopeParameter, "state": state, "nonce": nonce, "code_challenge": codeChallenge,
            "code_challenge_method": "S256",
        ])
        return endpoint + (endpoint.contains("?") ? "&" : "?") + query
    }

    /// The user the OpenID Provider says signed in (the configured claim of a verified ID token),
    /// once its code is redeemed; throws `IdentityVerificationError` saying what failed.
    package func signedInUser(code: String, codeVerifier: String, nonce: String) async throws -> String {
        let idToken = try await redeem(code: code, codeVerifier: codeVerifier)
        let claims = try await verified(idToken)
        guard claims.issuer.value == settings.issuer else {
            throw IdentityVerificationError("the ID token's issuer is '\(claims.issuer.value)', not the configured issuer")
        }
        guard claims.nonce == nonce else {
            throw IdentityVerificationError("the ID token's nonce does not match this sign-in")
        }
        if claims.audience.value.count > 1, claims.authorizedParty != settings.clientID {
            throw IdentityVerificationError("the ID token has several audiences and its azp is not this client")
        }
        // An address the OpenID Provider has not verified proves nothing about who holds it; one
        // it does not say it verified (the claim missing, false, or anything but true) neither.
        // Some providers send the claim as the string "true".
        if settings.userClaim == "email", claims.all["email_verified"] != .bool(true),
            claims.all["email_verified"] != .string("true")
        {
            throw IdentityVerificationError(
                "the ID token's email is not verified (email_verified is not true): use a user claim the provider vouches for, such as sub"
            )
        }
        guard case .string(let user)? = claims.all[settings.userClaim], !user.isEmpty else {
            throw IdentityVerificationError("the ID token has no string claim '\(settings.userClaim)'")
        }
        return user
    }

    /// Reads the discovery document and the key set now (each only if not already held), so that
    /// a wrong issuer, an unreachable provider or a key set without a usable key shows before a
    /// person signs in. Throws what a sign-in would meet.
    package func check() async throws {
        _ = try await keyCollection()
    }

    /// The token endpoint's answer to the code: its `id_token`.
    private func redeem(code: String, codeVerifier: String) async throws -> String {
        let document = try await document()
        var params = [
            "grant_type": "authorization_code", "code": code, "redirect_uri": redirectURI, "code_verifier": codeVerifier,
        ]
        var headers = [("Content-Type", "application/x-www-form-urlencoded"), ("Accept", "application/json")]
        // client_secret_basic unless the provider offers only client_secret_post (RFC 6749 §2.3.1).
        let methods = document.tokenEndpointAuthMethodsSupported ?? ["client_secret_basic"]
        if !methods.contains("client_secret_basic"), methods.contains("client_secret_post") {
            params["client_id"] = settings.clientID
            params["client_secret"] = settings.clientSecret
        } else {
            headers.append(
                ("Authorization", FormEncoding.basicCredentials(clientID: settings.clientID, secret: settings.clientSecret)))
        }
        let response = try await call(
            OutboundRequest(
                method: "POST", url: document.tokenEndpoint, headers: headers, body: Array(FormEncoding.encode(params).utf8)),
            what: "the token endpoint")
        guard (200..<300).contains(response.status) else {
            let error = (try? JSONDecoder().decode([String: JSONValue].self, from: Data(response.body)))?["error"]
            // The provider's words are logged and kept with the failed flow: bounded.
            let said = error.map { " (\(String(describing: $0).prefix(100)))" } ?? ""
            throw IdentityVerificationError("the token endpoint answered \(response.status)\(said) to the code")
        }
        guard let body = try? JSONDecoder().decode([String: JSONValue].self, from: Data(response.body)),
            case .string(let idToken)? = body["id_token"], !idToken.isEmpty
        else {
            throw IdentityVerificationError("the token endpoint's answer carries no id_token")
        }
        return idToken
    }

    /// The token's claims once its signature and audience hold; reads the JWKS again when the
    /// token names a key not yet seen.
    private func verified(_ token: String) async throws -> IDTokenClaims {
        if let problem = Self.headerProblem(of: token) { throw IdentityVerificationError(problem) }
        let kid = Self.keyID(of: token)
        if let keys, let kid, !keys.kids.contains(kid), now().timeIntervalSince(keys.fetched) >= Self.keyRefetchInterval {
            self.keys = nil
        }
        let collection = try await keyCollection()
        do {
            let claims = try await collection.verify(token, as: IDTokenClaims.self, expectedAudience: settings.clientID)
            try claims.checkTimes(now: now())
            return claims
        } catch let error as JWTError {
            throw IdentityVerificationError("the ID token does not verify: \(error.errorType) \(error.reason ?? "")")
        }
    }

    private func keyCollection() async throws -> JWTKeyCollection {
        if let keys { return keys.collection }
        let uri = try await document().jwksURI
        let response = try await call(
            OutboundRequest(method: "GET", url: uri, headers: [("Accept", "application/json")]), what: "the JWKS")
        guard response.status == 200, let jwks = try? JSONDecoder().decode(JWKS.self, from: Data(response.body)) else {
            throw IdentityVerificationError("the JWKS at \(uri) answered \(response.status) without a key set")
        }
        let collection = JWTKeyCollection()
        var kids: Set<String> = []
        var usable = 0
        for var jwk in jwks.keys {
            // A key without an id is used only when it is the set's only key: with several, an ID
            // token must name its key (OpenID Connect Core §10.1). It gets an id of our own, and,
            // as the first key added, is the one a token without a `kid` is checked against.
            if jwk.keyIdentifier == nil, jwks.keys.count == 1 { jwk.keyIdentifier = JWKIdentifier(string: Self.unnamedKeyID) }
            // Other keys without an id, and keys of a kind jwt-kit cannot use, are left out.
            guard let kid = jwk.keyIdentifier?.string, (try? await collection.add(jwk: jwk)) != nil else { continue }
            if kid != Self.unnamedKeyID { kids.insert(kid) }
            usable += 1
        }
        guard usable > 0 else { throw IdentityVerificationError("the JWKS at \(uri) has no usable signing key") }
        keys = (collection, kids, now())
        return collection
    }

    private func document() async throws -> OIDCDiscovery {
        if let discovery, now().timeIntervalSince(discovery.fetched) < Self.discoveryLifetime { return discovery.document }
        let base = settings.issuer.hasSuffix("/") ? String(settings.issuer.dropLast()) : settings.issuer
        let url = base + "/.well-known/openid-configuration"
        let response = try await call(
            OutboundRequest(method: "GET", url: url, headers: [("Accept", "application/json")]), what: "discovery")
        guard response.status == 200, let document = try? JSONDecoder().decode(OIDCDiscovery.self, from: Data(response.body))
        else {
            throw IdentityVerificationError("discovery at \(url) answered \(response.status) without a usable document")
        }
        guard document.issuer == settings.issuer else {
            throw IdentityVerificationError(
                "discovery names the issuer '\(document.issuer)', not the configured '\(settings.issuer)'")
        }
        // The browser carries the state there, the token endpoint gets the client secret, and the
        // keys decide what is trusted: none of them in the clear, as for the issuer itself.
        for (name, endpoint) in [
            ("authorization_endpoint", document.authorizationEndpoint), ("token_endpoint", document.tokenEndpoint),
            ("jwks_uri", document.jwksURI),
        ] {
            guard let url = URLComponents(string: endpoint), let host = url.host, !host.isEmpty,
                ProviderNetworkPolicy.mayCarrySecrets(scheme: url.scheme?.lowercased() ?? "", host: host)
            else {
                throw IdentityVerificationError(
                    "discovery's \(name) must be an https URL (http only on literal loopback), not '\(endpoint.prefix(200))'")
            }
        }
        discovery = (document, now())
        return document
    }

    private func call(_ request: OutboundRequest, what: String) async throws -> OutboundResponse {
        do {
            return try await transport.send(request)
        } catch {
            throw IdentityVerificationError("\(what) at \(request.url) could not be reached: \(error)")
        }
    }

    /// The `kid` of a JWT's header, read without trusting anything else in it.
    static func keyID(of token: String) -> String? {
        guard case .string(let kid)? = header(of: token)["kid"] else { return nil }
        return kid
    }

    /// The token's header fields (none when it cannot be read; the signature check then fails).
    static func header(of token: String) -> [String: JSONValue] {
        guard let header = token.split(separator: ".", omittingEmptySubsequences: false).first,
            let bytes = Base64URL.decode(String(header)),
            let fields = try? JSONDecoder().decode([String: JSONValue].self, from: Data(bytes))
        else { return [:] }
        return fields
    }

    /// What the header says that makes the token no ID token to believe: extensions it calls
    /// critical (RFC 7515 §4.1.11: a recipient that does not understand them must refuse, and
    /// Gatehouse understands none), or the type of an OAuth access token (RFC 9068), which is
    /// another kind of token signed by the same keys.
    static func headerProblem(of token: String) -> String? {
        let header = header(of: token)
        if header["crit"] != nil {
            return "the ID token names critical header extensions (crit), which Gatehouse does not support"
        }
        if case .string(let type)? = header["typ"], ["at+jwt", "application/at+jwt"].contains(type.lowercased()) {
            return "the token is an access token (typ \(type)), not an ID token"
        }
        return nil
    }
}
