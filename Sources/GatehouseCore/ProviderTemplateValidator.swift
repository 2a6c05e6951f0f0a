import Foundation
import GatehouseWire

/// Checks a provider template before it is stored, naming the bad field.
package enum ProviderTemplateValidator {
    static let authMethods: Set<String> = ["", "none", "client_secret_basic", "client_secret_post", "bearer_access_token"]
    static let contentTypes: Set<String> = ["application/x-www-form-urlencoded", "application/json"]

    /// Validates a provider id.
    package static func validate(id: String) throws {
        guard !id.isEmpty, id.count <= 100,
            id.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "-_.".contains($0)) })
        else {
            throw GatehouseError.invalid("id must be 1-100 characters of letters, digits, '-', '_' or '.'")
        }
        // The id is a segment of the callback path, /v1/oauth/{id}/callback: a browser drops a dot
        // segment, and /v1/oauth/complete/{flow} is the continuation's route.
        guard id != ".", id != ".." else {
            throw GatehouseError.invalid("id must not be '.' or '..' (a browser rewrites that callback path)")
        }
        guard !reservedIDs.contains(id) else {
            throw GatehouseError.invalid("id '\(id)' is reserved: /v1/oauth/\(id)/ is one of Gatehouse's own paths")
        }
    }

    /// Ids whose callback path one of Gatehouse's own routes would answer.
    static let reservedIDs: Set<String> = ["complete"]

    /// Validates what the store holds for a provider (written before a rule existed, perhaps).
    package static func validateStored(id: String, _ config: OAuth2Config) throws {
        try validate(id: id)
        try validate(config)
    }

    /// Validates a complete template (after a built-in template was merged in).
    package static func validate(_ config: OAuth2Config, prefix: String = "oauth2") throws {
        guard let clientID = config.clientID, !clientID.isEmpty else {
            throw GatehouseError.invalid("\(prefix).client_id is required")
        }
        if let delimiter = config.scopeDelimiter, delimiter != " ", delimiter != "," {
            throw GatehouseError.invalid("\(prefix).scope_delimiter must be \" \" or \",\"")
        }
        if let method = config.pkce?.codeChallengeMethod, method != "S256" {
            throw GatehouseError.invalid("\(prefix).pkce.code_challenge_method must be S256 (plain is not accepted)")
        }
        guard let authorize = config.authorizeRequest else {
            throw GatehouseError.invalid("\(prefix).authorize_request is required")
        }
        try validateSecretPlacement(config, prefix: prefix)
        try validateTokenPlaces(config, prefix: prefix)
        try validateConnectionPlaceholders(config, prefix: prefix)
        if let issuer = config.issuer, !IssuerCheck.isIssuer(issuer) {
            throw GatehouseError.invalid(
                "\(prefix).issuer must be the authorization server's https URL (http only on loopback), without query or fragment"
            )
        }
        try validate(authorize, name: "\(prefix).authorize_request")
        guard let token = config.tokenRequest else {
            throw GatehouseError.invalid("\(prefix).token_request is required")
        }
        try validate(token, name: "\(prefix).token_request")
        if let refresh = config.refreshRequest { try validate(refresh, name: "\(prefix).refresh_request") }
        if let info = config.userInfoRequest { try validate(info, name: "\(prefix).user_info_request") }
        if let revocation = config.tokenRevocationRequest {
            try validate(revocation, name: "\(prefix).token_revocation_request")
        }
        if let introspection = config.tokenIntrospectionRequest {
            try validate(introspection, name: "\(prefix).token_introspection_request")
            if let format = introspection.expirationFormat, !["absolute_unix_timestamp", "relative_seconds"].contains(format) {
                throw GatehouseError.invalid(
                    "\(prefix).token_introspection_request.expiration_format must be absolute_unix_timestamp or relative_seconds")
            }
        }
    }

    static func validate(_ request: RequestConfig, name: String) throws {
        guard let given = request.endpoint, !given.isEmpty else {
            throw GatehouseError.invalid("\(name).endpoint is required")
        }
        // Placeholders (checked in validateConnectionPlaceholders) stand in for what a connection fills.
        let endpoint = ConnectionEndpoint.standIn(given)
        guard given.count <= 1000, let url = URLComponents(string: endpoint), let scheme = url.scheme?.lowercased(),
            let host = url.host, !host.isEmpty
        else {
            throw GatehouseError.invalid("\(name).endpoint must be an absolute URL")
        }
        guard ProviderNetworkPolicy.mayCarrySecrets(scheme: scheme, host: host) else {
            throw GatehouseError.invalid("\(name).endpoint must use https (http is allowed only on loopback)")
        }
        if let method = request.method?.uppercased(), method != "GET", method != "POST" {
            throw GatehouseError.invalid("\(name).method must be GET or POST")
        }
        if let method = request.authMethod, !authMethods.contains(method) {
            throw GatehouseError.invalid(
                "\(name).auth_method must be one of none, client_secret_basic, client_secret_post, bearer_access_token")
        }
        for (field, value) in [
            ("request_content_type", request.requestContentType), ("response_content_type", request.responseContentType),
        ] {
            if let value, !contentTypes.contains(value) {
                throw GatehouseError.invalid("\(name).\(field) must be application/x-www-form-urlencoded or application/json")
            }
        }
        for (key, expression) in request.responseMap ?? [:] {
            do {
                try ResponseMap.validate(expression)
            } catch let error as GatehouseError {
                throw GatehouseError.invalid("\(name).response_map.\(key): \(error.message)")
            }
        }
    }

    /// `user_info.*` placeholders, which a connection fills, only in the requests that run with
    /// one; in an endpoint, no other placeholder; an origin taken from one only with
    /// `connection_hosts` saying where it may point.
    static func validateConnectionPlaceholders(_ config: OAuth2Config, prefix: String) throws {
        for pattern in config.connectionHosts ?? [] where !ConnectionEndpoint.isValidPattern(pattern) {
            throw GatehouseError.invalid(
                "\(prefix).connection_hosts: '\(pattern.prefix(253))' is not a host name or *.domain (with two labels or more)")
        }
        for (field, request) in requests(of: config) {
            var places = request.endpoint.map { [("endpoint", $0)] } ?? []
            for (name, value) in (request.params ?? [:]).sorted(by: { $0.key < $1.key }) {
                places.append(("params.\(name)", value))
            }
            for (name, value) in (request.headers ?? [:]).sorted(by: { $0.key < $1.key }) {
                places.append(("headers.\(name)", value))
            }
            for (place, template) in places {
                for name in TemplateRenderer.placeholders(in: template) {
                    let filled = name.hasPrefix(ConnectionEndpoint.prefix) && name.count > ConnectionEndpoint.prefix.count
                    if filled, !ConnectionEndpoint.connectionRequests.contains(field) {
                        throw GatehouseError.invalid(
                            "\(prefix).\(field).\(place) may not use {{\(name)}}: only the refresh, user info, introspection and revocation requests know the connection"
                        )
                    }
                    if place == "endpoint", !filled {
                        throw GatehouseError.invalid(
                            "\(prefix).\(field).endpoint may not use {{\(name)}}: an endpoint takes only {{user_info.<key>}}")
                    }
                }
            }
            guard let endpoint = request.endpoint else { continue }
            guard ConnectionEndpoint.placeholdersArePlaced(in: endpoint) else {
                throw GatehouseError.invalid(
                    "\(prefix).\(field).endpoint may use {{user_info.<key>}} only as the whole origin (then followed by a path or nothing) or in the path"
                )
            }
            guard let origin = ConnectionEndpoint.originPlaceholder(of: endpoint) else { continue }
            guard let hosts = config.connectionHosts, !hosts.isEmpty else {
                throw GatehouseError.invalid(
                    "\(prefix).\(field).endpoint takes its host from {{\(origin)}}: list the hosts it may name in \(prefix).connection_hosts"
                )
            }
        }
    }

    /// The requests of a template by their field names.
    static func requests(of config: OAuth2Config) -> [(field: String, request: RequestConfig)] {
        [
            ("authorize_request", config.authorizeRequest), ("token_request", config.tokenRequest),
            ("refresh_request", config.refreshRequest), ("user_info_request", config.userInfoRequest),
            ("token_introspection_request", config.tokenIntrospectionRequest),
            ("token_revocation_request", config.tokenRevocationRequest),
        ].compactMap { field, request in request.map { (field, $0) } }
    }

    /// Which requests may carry each secret: the ones whose job needs it, sent to the party that
    /// issued it. Anywhere else (the authorize URL a browser sees, a header of another call) a
    /// template edit would hand the secret to whoever controls that place.
    static let secretPlaces: [String: (fields: Set<String>, role: String)] = [
        "client_secret": (
            ["token_request", "refresh_request", "token_introspection_request", "token_revocation_request"],
            "token, refresh, introspection and revocation"
        ),
        "refresh_token": (["refresh_request", "token_revocation_request"], "refresh and revocation"),
        // The token a revocation ends: the refresh token when there is one.
        "token": (["token_revocation_request"], "revocation"),
        "access_token": (
            ["user_info_request", "token_introspection_request", "token_revocation_request"],
            "user info, introspection and revocation"
        ),
    ]

    /// The client authentication a request sends when the template names none: none for the
    /// token and refresh requests, Basic for introspection, the token request's for revocation,
    /// the bearer token for user info. One place: `TemplateProviderClient` sends what this says,
    /// and the secret placement rule judges it.
    static func effectiveAuthMethod(_ call: Telemetry.ProviderCall, _ request: RequestConfig, in config: OAuth2Config)
        -> String
    {
        switch call {
        case .introspection: request.authMethod ?? "client_secret_basic"
        case .revocation: request.authMethod ?? config.tokenRequest?.authMethod ?? ""
        case .userInfo: request.authMethod.flatMap { $0.isEmpty ? nil : $0 } ?? "bearer_access_token"
        case .exchange, .refresh: request.authMethod ?? ""
        }
    }

    /// The HTTP method a request is sent with when the template names none: the user info and the
    /// introspection GET, the others POST. The checks read it from here too, so that what they
    /// allow is what is sent.
    static func effectiveMethod(_ call: Telemetry.ProviderCall, _ request: RequestConfig) -> String {
        if let method = request.method { return method.uppercased() }
        switch call {
        case .userInfo, .introspection: return "GET"
        case .exchange, .refresh, .revocation: return "POST"
        }
    }

    /// Why the code exchange of `config` cannot work without the client secret, naming the field
    /// that sends it; nil when it sends none (a public client).
    static func secretNeeded(by config: OAuth2Config) -> String? {
        guard let token = config.tokenRequest else { return nil }
        let method = effectiveAuthMethod(.exchange, token, in: config)
        if method.hasPrefix("client_secret") { return "oauth2.token_request.auth_method is \(method)" }
        // Not `auth_header_value_format`: it is sent only with `bearer_access_token`, which an
        // exchange (before there is a token) does not use.
        let places =
            [("endpoint", token.endpoint ?? "")]
            + (token.params ?? [:]).sorted { $0.key < $1.key }.map { ("params.\($0.key)", $0.value) }
            + (token.headers ?? [:]).sorted { $0.key < $1.key }.map { ("headers.\($0.key)", $0.value) }
        for (place, template) in places {
            if TemplateRenderer.placeholders(in: template).contains("client_secret") {
                return "oauth2.token_request.\(place) uses {{client_secret}}"
            }
        }
        return nil
    }

    /// The call each request field of a template makes (the authorize request is the browser's).
    static let calls: [String: Telemetry.ProviderCall] = [
        "token_request": .exchange, "refresh_request": .refresh, "user_info_request": .userInfo,
        "token_introspection_request": .introspection, "token_revocation_request": .revocation,
    ]

    static func validateSecretPlacement(_ config: OAuth2Config, prefix: String) throws {
        let tokenOrigin = config.tokenRequest?.endpoint.flatMap(IssuerCheck.origin(of:))
        for (field, request) in requests(of: config) {
            var places: [(String, String)] = []
            if let endpoint = request.endpoint { places.append(("endpoint", endpoint)) }
            if let format = request.authHeaderValueFormat { places.append(("auth_header_value_format", format)) }
            for (name, value) in request.params ?? [:] { places.append(("params.\(name)", value)) }
            for (name, value) in request.headers ?? [:] { places.append(("headers.\(name)", value)) }
            for (place, template) in places.sorted(by: { $0.0 < $1.0 }) {
                for name in TemplateRenderer.placeholders(in: template) {
                    guard let allowed = secretPlaces[name], !allowed.fields.contains(field) else { continue }
                    throw GatehouseError.invalid(
                        "\(prefix).\(field).\(place) may not use {{\(name)}}: it belongs only in the \(allowed.role) requests")
                }
            }
            // Credentials go in one place (design.md §7.8): a request that authenticates the
            // client by its method places no secret of its own in a header as well.
            let sent = calls[field].map { effectiveAuthMethod($0, request, in: config) } ?? ""
            if sent.hasPrefix("client_secret"),
                let place = places.first(where: {
                    ($0.0 == "auth_header_value_format" || $0.0.hasPrefix("headers."))
                        && TemplateRenderer.placeholders(in: $0.1).contains("client_secret")
                })
            {
                throw GatehouseError.invalid(
                    "\(prefix).\(field).\(place.0) may not use {{client_secret}}: auth_method \(sent) sends the client's credentials already"
                )
            }
            // Client authentication sends the secret too. User info may use it only at the token
            // endpoint's own origin (HubSpot's introspection doubles as user info).
            guard let method = request.authMethod, method.hasPrefix("client_secret") else { continue }
            let requestOrigin = request.endpoint.flatMap(IssuerCheck.origin(of:))
            let sameParty = field == "user_info_request" && requestOrigin != nil && requestOrigin == tokenOrigin
            guard secretPlaces["client_secret"]!.fields.contains(field) || sameParty else {
                throw GatehouseError.invalid(
                    "\(prefix).\(field).auth_method \(method) would send the client secret outside the token, refresh, introspection and revocation requests"
                )
            }
        }
    }
}
