import Foundation
import GatehouseWire

/// Runs Arcade `oauth2` templates over an `HTTPTransport`.
package struct TemplateProviderClient: ProviderClient {
    private let transport: any HTTPTransport
    private let now: @Sendable () -> Date
    private let telemetry: Telemetry
    /// The lifetime assumed when a provider says nothing about expiry: never "forever".
    package let defaultLifetime: TimeInterval

    /// Creates a client.
    package init(
        transport: any HTTPTransport, defaultLifetime: TimeInterval = 3600, telemetry: Telemetry = .none,
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
            throw ProviderCallError(.rejected, "provider '\(provider.id)' has no token_request.endpoint")
        }
        var auto = ["code": code, "grant_type": "authorization_code", "redirect_uri": redirectURI]
        if let codeVerifier { auto["code_verifier"] = codeVerifier }
        let renderer = renderer(provider, redirectURI: redirectURI, extra: ["code": code])
        let response = try await call(
            .exchange, request, provider: provider, renderer: renderer, autoParams: auto, accessToken: nil)
        return try await tokenSet(from: response, provider: provider, previous: nil)
    }

    /// Refreshes at the refresh endpoint.
    package func refresh(provider: Provider, tokens: TokenSet, redirectURI: String) async throws -> TokenSet {
        guard let request = provider.oauth2.refreshRequest, request.endpoint != nil else {
            throw ProviderCallError(.invalidGrant, "provider '\(provider.id)' has no refresh_request")
        }
        guard let refreshToken = tokens.refreshToken else {
            throw ProviderCallError(.invalidGrant, "the provider issued no refresh token")
        }
        // Some providers want the redirect URI (GitLab) or the scopes (Microsoft) again.
        let renderer = renderer(
            provider, redirectURI: redirectURI,
            extra: ["refresh_token": refreshToken, "scopes": (tokens.scopes ?? []).joined(separator: provider.scopeDelimiter)])
        let auto = ["grant_type": "refresh_token", "refresh_token": refreshToken]
        let response = try await call(
            .refresh, request, provider: provider, renderer: renderer, autoParams: auto, accessToken: nil)
        return try await tokenSet(from: response, provider: provider, previous: tokens)
    }

    /// Fetches user info, verbatim or through its response map.
    package func userInfo(provider: Provider, tokens: TokenSet, onRefresh: Bool) async throws -> [String: JSONValue]? {
        guard let request = provider.oauth2.userInfoRequest, request.endpoint != nil else { return nil }
        let triggers = request.triggers
        let wanted = onRefresh ? (triggers?.onTokenRefresh ?? false) : (triggers?.onTokenGrant ?? true)
        guard wanted else { return nil }
        var request2 = request
        if request2.method == nil { request2.method = "GET" }
        if request2.authMethod == nil || request2.authMethod == "" { request2.authMethod = "bearer_access_token" }
        let renderer = renderer(provider, redirectURI: "", extra: ["access_token": tokens.accessToken])
        let document = try await call(
            .userInfo,
            request2, provider: provider, renderer: renderer, autoParams: [:], accessToken: tokens.accessToken)
        if let map = request.responseMap, !map.isEmpty {
            return try ResponseMap.apply(map, to: document)
        }
        return document.objectValue
    }

    // MARK: - internals

    private func renderer(_ provider: Provider, redirectURI: String, extra: [String: String]) -> TemplateRenderer {
        var values = extra
        values["client_id"] = provider.clientID
        values["client_secret"] = provider.clientSecret ?? ""
        values["redirect_uri"] = redirectURI
        return TemplateRenderer(values: values, scopeDelimiter: provider.scopeDelimiter)
    }

    /// Sends one templated request and parses its answer as a JSON document.
    /// One call to the provider, timed for `gatehouse_provider_call_duration_seconds`.
    private func call(
        _ kind: Telemetry.ProviderCall, _ config: RequestConfig, provider: Provider, renderer: TemplateRenderer,
        autoParams: [String: String], accessToken: String?
    ) async throws -> JSONValue {
        let started = ContinuousClock.now
        do {
            let document = try await call(
                config, provider: provider, renderer: renderer, autoParams: autoParams, accessToken: accessToken)
            telemetry.providerCall(provider: provider.id, call: kind, succeeded: true, duration: started.duration(to: .now))
            return document
        } catch {
            telemetry.providerCall(provider: provider.id, call: kind, succeeded: false, duration: started.duration(to: .now))
            throw error
        }
    }

    private func call(
        _ config: RequestConfig, provider: Provider, renderer: TemplateRenderer,
        autoParams: [String: String], accessToken: String?
    ) async throws -> JSONValue {
        guard let endpoint = config.endpoint else {
            throw ProviderCallError(.rejected, "request has no endpoint")
        }
        var params = renderer.render(params: config.params)
        for (name, value) in autoParams where params[name] == nil { params[name] = value }
        var headers: [(String, String)] = [("Accept", "application/json")]
        for (name, value) in (config.headers ?? [:]).sorted(by: { $0.key < $1.key }) {
            headers.removeAll { $0.0.lowercased() == name.lowercased() }
            headers.append((name, renderer.render(value)))
        }
        // Client credentials go in exactly one place (RFC 6749 §2.3.1; Okta rejects both).
        switch config.authMethod ?? "" {
        case "client_secret_basic":
            params["client_id"] = nil
            params["client_secret"] = nil
            let pair = FormEncoding.escape(provider.clientID) + ":" + FormEncoding.escape(provider.clientSecret ?? "")
            headers.append(("Authorization", "Basic " + Data(pair.utf8).base64EncodedString()))
        case "client_secret_post":
            params["client_id"] = provider.clientID
            params["client_secret"] = provider.clientSecret ?? ""
        case "bearer_access_token":
            if accessToken != nil {
                let format = config.authHeaderValueFormat ?? "Bearer {{access_token}}"
                headers.append(("Authorization", renderer.render(format)))
            }
        default:
            break
        }
        let method = (config.method ?? "POST").uppercased()
        var url = endpoint
        var body: [UInt8]?
        if method == "GET" {
            if !params.isEmpty { url += (url.contains("?") ? "&" : "?") + FormEncoding.encode(params) }
        } else if params.isEmpty {
            // A POST with no arguments goes without a body (Dropbox's RPC endpoints reject `{}`).
        } else if config.requestContentType == "application/json" {
            headers.append(("Content-Type", "application/json"))
            body = Array(try JSONEncoder.sorted.encode(params))
        } else {
            headers.append(("Content-Type", "application/x-www-form-urlencoded"))
            body = Array(FormEncoding.encode(params).utf8)
        }
        let response: OutboundResponse
        do {
            response = try await transport.send(OutboundRequest(method: method, url: url, headers: headers, body: body))
        } catch let refusal as OutboundRefusal {
            // The operator's network policy, not the provider, said no: retrying will not help.
            throw ProviderCallError(.rejected, "\(Self.host(of: endpoint)): \(refusal)")
        } catch {
            throw ProviderCallError(.transient, "could not reach \(Self.host(of: endpoint)): \(Self.describe(error))")
        }
        return try Self.parse(response, config: config, host: Self.host(of: endpoint))
    }

    static func parse(_ response: OutboundResponse, config: RequestConfig, host: String) throws -> JSONValue {
        let contentType = response.headers["content-type"] ?? config.responseContentType ?? "application/json"
        var document: JSONValue?
        if contentType.contains("x-www-form-urlencoded") || contentType.hasPrefix("text/plain") {
            let text = String(decoding: response.body, as: UTF8.self)
            document = .object(FormEncoding.decode(text).mapValues { .string($0) })
        } else {
            document = try? JSONDecoder().decode(JSONValue.self, from: Data(response.body))
        }
        let object = document?.objectValue
        // Slack and GitHub say errors with a 200 and an `error` member.
        if let error = object?["error"]?.stringValue, !(200..<300).contains(response.status) || object?["ok"] != .bool(true) {
            let description = object?["error_description"]?.stringValue.map { ": \($0)" } ?? ""
            let kind: ProviderCallError.Kind
            if ["invalid_grant", "invalid_refresh_token", "token_revoked", "bad_refresh_token", "token_expired"].contains(error) {
                kind = .invalidGrant
            } else if response.status == 429 || response.status >= 500
                || ["temporarily_unavailable", "server_error", "ratelimited"].contains(error)
            {
                kind = .transient
            } else {
                kind = .rejected
            }
            throw ProviderCallError(kind, "\(host) answered \(response.status) \(error)\(description)")
        }
        guard (200..<300).contains(response.status) else {
            let kind: ProviderCallError.Kind = response.status == 429 || response.status >= 500 ? .transient : .rejected
            throw ProviderCallError(kind, "\(host) answered HTTP \(response.status)")
        }
        guard let document else {
            throw ProviderCallError(.rejected, "\(host) answered with a body that is not \(contentType)")
        }
        return document
    }

    private func tokenSet(from document: JSONValue, provider: Provider, previous: TokenSet?) async throws -> TokenSet {
        let config = previous == nil ? provider.oauth2.tokenRequest : provider.oauth2.refreshRequest
        var fields: [String: JSONValue] = [:]
        for key in ["access_token", "refresh_token", "expires_in", "scope", "token_type"] {
            if let value = document.objectValue?[key], value != .null { fields[key] = value }
        }
        if let map = config?.responseMap {
            do {
                for (key, value) in try ResponseMap.apply(map, to: document) { fields[key] = value }
            } catch {
                throw ProviderCallError(.rejected, "response_map failed: \(error)")
            }
        }
        guard let access = fields["access_token"]?.stringValue, !access.isEmpty else {
            throw ProviderCallError(.rejected, "the token response has no access_token")
        }
        let obtained = now()
        var lifetime = fields["expires_in"]?.doubleValue
        var scopes = fields["scope"].map(Self.scopes(provider: provider))
        if lifetime == nil || scopes == nil,
            let introspected = try await introspect(provider: provider, accessToken: access, onRefresh: previous != nil)
        {
            lifetime = lifetime ?? introspected.lifetime
            scopes = scopes ?? introspected.scopes
        }
        return TokenSet(
            accessToken: access,
            refreshToken: fields["refresh_token"]?.stringValue ?? previous?.refreshToken,
            tokenType: fields["token_type"]?.stringValue ?? previous?.tokenType,
            obtainedAt: obtained,
            expiresAt: obtained.addingTimeInterval(lifetime.map { max(0, $0) } ?? assumedLifetime(provider)),
            scopes: scopes ?? previous?.scopes)
    }

    /// With no expiry in the answer: the default lifetime when the token can be refreshed; a
    /// provider that can neither refresh nor say when its tokens expire (ClickUp, Attio) issues
    /// long-lived tokens, and expiring them here would only force the user through consent again.
    private func assumedLifetime(_ provider: Provider) -> TimeInterval {
        provider.oauth2.refreshRequest?.endpoint == nil ? Self.longLived : defaultLifetime
    }

    /// Ten years: "does not expire" for a token set.
    static let longLived: TimeInterval = 10 * 365 * 24 * 3600

    private func introspect(provider: Provider, accessToken: String, onRefresh: Bool) async throws -> (
        lifetime: Double?, scopes: [String]?
    )? {
        guard var request = provider.oauth2.tokenIntrospectionRequest, request.endpoint != nil, request.enabled ?? true else {
            return nil
        }
        let triggers = request.triggers
        guard onRefresh ? (triggers?.onTokenRefresh ?? true) : (triggers?.onTokenGrant ?? true) else { return nil }
        if request.authMethod == nil { request.authMethod = "client_secret_basic" }
        if request.method == nil { request.method = "GET" }
        let renderer = renderer(provider, redirectURI: "", extra: ["access_token": accessToken])
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

    static func host(of url: String) -> String {
        URLComponents(string: url)?.host ?? "the provider"
    }

    private static func describe(_ error: any Error) -> String {
        String(describing: error).prefix(200).description
    }
}

extension JSONEncoder {
    /// Sorted keys, unescaped slashes: the one JSON spelling of stored templates and API bodies.
    package static var sorted: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }
}
