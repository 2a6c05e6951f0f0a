import Foundation
import GatehouseWire

/// Runs Arcade `oauth2` templates over an `HTTPTransport`.
package struct TemplateProviderClient: ProviderClient {
    let transport: any HTTPTransport
    private let now: @Sendable () -> Date
    let telemetry: Telemetry
    /// The lifetime assumed for a refreshable grant when neither the provider's answer nor the
    /// template says when it expires (`assumedLifetime`); a token that cannot be refreshed is
    /// taken as long-lived instead.
    package let defaultLifetime: TimeInterval
    /// `auth.default_token_lifetime` when not configured: refreshed before a typical 30-minute
    /// token runs out (docs/providers.md, "Token lifetimes").
    package static let standardDefaultLifetime: TimeInterval = 1800

    /// Creates a client.
    package init(
        transport: any HTTPTransport, defaultLifetime: TimeInterval = standardDefaultLifetime, telemetry: Telemetry = .none,
        now: @escaping @Sendable () -> Date = Date.init
    ) {
        self.transport = transport
        self.defaultLifetime = defaultLifetime
        self.telemetry = telemetry
        self.now = now
    }

    /// The authorize URL: rendered params plus `state` and the PKCE challenge.
    package func authorizeURL(
        provider: Provider, redirectURI: String, state: String, codeChallenge: String?,
        requested: [String], existing: [String]
    ) throws -> String {
        guard let request = provider.oauth2.authorizeRequest, let endpoint = request.endpoint else {
            throw GatehouseError.invalid("provider '\(provider.id)' has no authorize_request.endpoint")
        }
        let renderer = renderer(
            provider, redirectURI: redirectURI,
            extra: [
                "scopes": requested.joined(separator: provider.scopeDelimiter),
                "existing_scopes": existing.joined(separator: provider.scopeDelimiter),
                "state": state,
            ])
        var params = renderer.render(params: request.params)
        params["state"] = state
        if let codeChallenge {
            params["code_challenge"] = codeChallenge
            params["code_challenge_method"] = "S256"
        }
        let separator = endpoint.contains("?") ? "&" : "?"
        return endpoint + separator + FormEncoding.encode(params)
    }

    /// Exchanges a code at the token endpoint.
    package func exchange(provider: Provider, code: String, redirectURI: String, codeVerifier: String?) async throws -> TokenSet {
        guard let request = provider.oauth2.tokenRequest, request.endpoint != nil else {
            throw ProviderCallError(.configuration, "provider '\(provider.id)' has no token_request.endpoint")
        }
        var auto = ["code": code, "grant_type": "authorization_code", "redirect_uri": redirectURI]
        if let codeVerifier { auto["code_verifier"] = codeVerifier }
        let renderer = renderer(provider, redirectURI: redirectURI, extra: ["code": code])
        let response = try await call(
            .exchange, request, provider: provider, renderer: renderer, autoParams: auto, accessToken: nil)
        return try await tokenSet(from: response, provider: provider, previous: nil, known: nil)
    }

    /// Refreshes at the refresh endpoint.
    package func refresh(provider: Provider, tokens: TokenSet, known: [String: JSONValue]?, redirectURI: String)
        async throws -> TokenSet
    {
        guard let request = provider.oauth2.refreshRequest, request.endpoint != nil else {
            throw ProviderCallError(.invalidGrant, "provider '\(provider.id)' has no refresh_request")
        }
        guard let refreshToken = tokens.refreshToken else {
            throw ProviderCallError(.invalidGrant, "the provider issued no refresh token")
        }
        // Some providers want the redirect URI (GitLab) or the scopes (Microsoft) again.
        let renderer = renderer(
            provider, redirectURI: redirectURI,
            extra: ["refresh_token": refreshToken, "scopes": (tokens.scopes ?? []).joined(separator: provider.scopeDelimiter)],
            known: known)
        let auto = ["grant_type": "refresh_token", "refresh_token": refreshToken]
        let response = try await call(
            .refresh, request, provider: provider, renderer: renderer, autoParams: auto, accessToken: nil)
        return try await tokenSet(from: response, provider: provider, previous: tokens, known: known)
    }

    /// Fetches user info, verbatim or through its response map.
    package func userInfo(provider: Provider, tokens: TokenSet, known: [String: JSONValue]?, onRefresh: Bool) async throws
        -> [String: JSONValue]?
    {
        // What the token answer said (`user_info.*` in its response map), under what the user
        // info endpoint says, when there is one.
        var info = tokens.responseUserInfo
        if let request = provider.oauth2.userInfoRequest, request.endpoint != nil,
            onRefresh ? (request.triggers?.onTokenRefresh ?? false) : (request.triggers?.onTokenGrant ?? true)
        {
            let fetched = try await userInfoCall(
                request, provider: provider, tokens: tokens, known: (known ?? [:]).merging(info ?? [:]) { $1 })
            info = info.map { $0.merging(fetched ?? [:]) { $1 } } ?? fetched
        }
        let secrets = [tokens.accessToken, tokens.refreshToken].compactMap { $0 } + Self.clientSecrets(of: provider)
        info = info?.redacting(Set(secrets.filter { !$0.isEmpty }.flatMap(SecretForms.of)))
        // Stored with the grant and sent with every completed `authorize`: a provider's answer of
        // hundreds of keys would slow each one down for that user.
        if let info, let size = try? JSONEncoder.sorted.encode(info).count, size > Self.maxUserInfoBytes {
            throw ProviderCallError(
                .rejected, "the user info is \(size) bytes, more than the \(Self.maxUserInfoBytes) Gatehouse keeps")
        }
        return info
    }

    /// Revokes the grant (RFC 7009): its refresh token when it has one, which ends the grant at
    /// most providers, else its access token. Without `params` the request carries RFC 7009's
    /// `token` and `token_type_hint`; with them, exactly what they say (`{{token}}`,
    /// `{{token_type_hint}}`, `{{access_token}}` and `{{refresh_token}}` may be named). The client
    /// authenticates as at the token endpoint unless the request says otherwise.
    package func revoke(provider: Provider, tokens: TokenSet, known: [String: JSONValue]?) async throws -> Bool {
        guard var request = provider.oauth2.tokenRevocationRequest, request.endpoint != nil else { return false }
        request.authMethod = ProviderTemplateValidator.effectiveAuthMethod(.revocation, request, in: provider.oauth2)
        let token: (value: String, hint: String) =
            tokens.refreshToken.map { ($0, "refresh_token") } ?? (tokens.accessToken, "access_token")
        var values = ["access_token": tokens.accessToken, "token": token.value, "token_type_hint": token.hint]
        values["refresh_token"] = tokens.refreshToken
        let renderer = renderer(provider, redirectURI: "", extra: values, known: known)
        _ = try await call(
            .revocation, request, provider: provider, renderer: renderer,
            autoParams: request.params == nil ? ["token": token.value, "token_type_hint": token.hint] : [:],
            accessToken: tokens.accessToken, emptyAnswer: true)
        return true
    }

    private func userInfoCall(
        _ request: RequestConfig, provider: Provider, tokens: TokenSet, known: [String: JSONValue]
    ) async throws -> [String: JSONValue]? {
        var request2 = request
        request2.authMethod = ProviderTemplateValidator.effectiveAuthMethod(.userInfo, request2, in: provider.oauth2)
        let renderer = renderer(provider, redirectURI: "", extra: ["access_token": tokens.accessToken], known: known)
        let document = try await call(
            .userInfo,
            request2, provider: provider, renderer: renderer, autoParams: [:], accessToken: tokens.accessToken)
        if let map = request.responseMap, !map.isEmpty {
            return try ResponseMap.apply(map, to: document)
        }
        return document.objectValue
    }

    /// The largest user info kept with a grant (its JSON), 64 KiB.
    static let maxUserInfoBytes = 65_536

    // MARK: - internals

    private func renderer(
        _ provider: Provider, redirectURI: String, extra: [String: String], known: [String: JSONValue]? = nil
    ) -> TemplateRenderer {
        var values = ConnectionEndpoint.values(known).merging(extra) { $1 }
        values["client_id"] = provider.clientID
        values["client_secret"] = provider.clientSecret ?? ""
        values["redirect_uri"] = redirectURI
        return TemplateRenderer(values: values, scopeDelimiter: provider.scopeDelimiter)
    }

    /// The token set a token or refresh answer grants: its fields, the response map's (the
    /// `user_info.*` keys apart), and introspection for what the answer leaves out.
    private func tokenSet(
        from document: JSONValue, provider: Provider, previous: TokenSet?, known: [String: JSONValue]?
    ) async throws -> TokenSet {
        let config = previous == nil ? provider.oauth2.tokenRequest : provider.oauth2.refreshRequest
        var fields: [String: JSONValue] = [:]
        var userInfo: [String: JSONValue] = [:]
        for key in ["access_token", "refresh_token", "expires_in", "scope", "token_type"] {
            if let value = document.objectValue?[key], value != .null { fields[key] = value }
        }
        if let map = config?.responseMap {
            do {
                for (key, value) in try ResponseMap.apply(map, to: document) {
                    // `user_info.<name>`: who the token is for, when the answer says it.
                    if key.hasPrefix(ConnectionEndpoint.prefix) {
                        userInfo[String(key.dropFirst(ConnectionEndpoint.prefix.count))] = value
                    } else {
                        fields[key] = value
                    }
                }
            } catch {
                throw ProviderCallError(.configuration, "response_map failed: \(error)")
            }
        }
        guard let access = fields["access_token"]?.stringValue, !access.isEmpty else {
            throw ProviderCallError(.rejected, "the token response has no access_token")
        }
        let obtained = now()
        var lifetime = fields["expires_in"]?.doubleValue
        var scopes = fields["scope"].map(Self.scopes(provider: provider))
        let refreshToken = fields["refresh_token"]?.stringValue ?? previous?.refreshToken
        let clientSecrets = Self.clientSecrets(of: provider)
        // Before the introspection, whose request may name the user info (`{{user_info.*}}`):
        // a token mapped there would go into its URL.
        let secrets = Self.secrets(
            access: access, refreshTokens: [previous?.refreshToken, refreshToken], answer: document,
            clientSecrets: clientSecrets)
        userInfo = userInfo.redacting(secrets)
        // An introspection that fails does not throw away what the provider issued: with a
        // refresh token that rotates, the grant would be lost with it. The lifetime is then
        // assumed, as for an answer without one (the failed call is in the provider call metric).
        if lifetime == nil || scopes == nil,
            let introspected = try? await introspect(
                provider: provider, accessToken: access, onRefresh: previous != nil,
                known: (known ?? [:]).merging(userInfo) { $1 })
        {
            lifetime = lifetime ?? introspected.lifetime
            scopes = scopes ?? introspected.scopes
        }
        try Self.checkExposure(
            access: access, sent: previous?.refreshToken, refreshToken: refreshToken, scopes: scopes, answer: document,
            clientSecrets: clientSecrets, secrets: secrets)
        // With nothing to renew the token, a lifetime of 0 or less (some servers' "does not
        // expire") is taken as not said: a token dead on arrival would only send the user
        // through consent again, at once and on every read.
        if refreshToken == nil, let said = lifetime, said <= 0 { lifetime = nil }
        return TokenSet(
            accessToken: access,
            refreshToken: refreshToken,
            tokenType: fields["token_type"]?.stringValue ?? previous?.tokenType,
            obtainedAt: obtained,
            expiresAt: obtained.addingTimeInterval(
                lifetime.map { max(0, $0) } ?? assumedLifetime(provider, refreshable: refreshToken != nil)),
            scopes: scopes ?? previous?.scopes, responseUserInfo: userInfo.isEmpty ? nil : userInfo)
    }

    /// With no expiry in the answer: the template's own lifetime when it names one (its author
    /// knows the provider's tokens expire); else the engine's when the token can be refreshed
    /// (the template has a refresh request and the grant a refresh token). A token that can
    /// neither be refreshed nor says when it expires is otherwise long-lived (ClickUp, Attio,
    /// GitHub OAuth apps, Slack without rotation): expiring it on a guess would only force the
    /// user through consent again, every lifetime.
    private func assumedLifetime(_ provider: Provider, refreshable: Bool) -> TimeInterval {
        if let own = provider.defaultTokenLifetime { return own }
        guard refreshable, provider.oauth2.refreshRequest?.endpoint != nil else { return Self.longLived }
        return defaultLifetime
    }

    /// Ten years: "does not expire" for a token set.
    static let longLived: TimeInterval = 10 * 365 * 24 * 3600

    private func introspect(provider: Provider, accessToken: String, onRefresh: Bool, known: [String: JSONValue])
        async throws -> (
            lifetime: Double?, scopes: [String]?
        )?
    {
        guard var request = provider.oauth2.tokenIntrospectionRequest, request.endpoint != nil, request.enabled ?? true else {
            return nil
        }
        let triggers = request.triggers
        guard onRefresh ? (triggers?.onTokenRefresh ?? true) : (triggers?.onTokenGrant ?? true) else { return nil }
        request.authMethod = ProviderTemplateValidator.effectiveAuthMethod(.introspection, request, in: provider.oauth2)
        let renderer = renderer(provider, redirectURI: "", extra: ["access_token": accessToken], known: known)
        let document = try await call(
            .introspection, request, provider: provider, renderer: renderer, autoParams: [:], accessToken: accessToken)
        let fields = try ResponseMap.apply(request.responseMap ?? ["expires_in": "$.exp", "scope": "$.scope"], to: document)
        var lifetime = fields["expires_in"]?.doubleValue
        if let value = lifetime, (request.expirationFormat ?? "absolute_unix_timestamp") == "absolute_unix_timestamp" {
            lifetime = value - now().timeIntervalSince1970
        }
        return (lifetime, fields["scope"].map(Self.scopes(provider: provider)))
    }

    private static func scopes(provider: Provider) -> (JSONValue) -> [String] {
        { value in
            if let array = value.arrayValue { return ScopeSet.normalize(array.compactMap(\.stringValue)) }
            // Some providers (LinkedIn) answer comma-separated scopes whatever the request
            // delimiter; scopes never contain commas or spaces, so both split safely.
            return ScopeSet.parse(value.stringValue ?? "", delimiter: provider.scopeDelimiter + ",")
        }
    }
}
