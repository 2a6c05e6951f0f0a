import Foundation
import GatehouseWire

// Where a provider's requests send its secrets and its grants' tokens: a change that would send
// them elsewhere needs the client secret again, or (for stored grants' tokens) is refused while
// there are connections.
extension ProviderRegistry {
    /// The requests that may send the client secret (`ProviderTemplateValidator.secretPlaces`).
    static let secretSending = ProviderTemplateValidator.secretPlaces["client_secret"]?.fields ?? []

    /// How a request goes elsewhere (`movedEndpoint`).
    enum Move {
        /// To another scheme, host or port, or a request that is new.
        case origin
        /// A request that sends the client secret, to another URL of the same origin: another
        /// endpoint of the same host may store or echo what it gets, as a chat API's would.
        case url
        /// A request that starts sending the client secret (its `auth_method`).
        case secret
    }

    /// Whether `request` (the template's `field`) sends the client secret: the requests whose job
    /// may need it, and a user info request that authenticates with it.
    static func sendsSecret(_ field: String, _ request: RequestConfig?, in config: OAuth2Config) -> Bool {
        guard let request else { return false }
        if secretSending.contains(field) { return true }
        return field == "user_info_request"
            && ProviderTemplateValidator.effectiveAuthMethod(.userInfo, request, in: config).hasPrefix("client_secret")
    }

    /// The first request that goes elsewhere in `new` than in `old`, for a template with a
    /// stored secret (`Move`); or the hosts a connection's endpoints may name, when they differ.
    static func movedEndpoint(from old: OAuth2Config, to new: OAuth2Config) -> (field: String, move: Move)? {
        if Set(old.connectionHosts ?? []) != Set(new.connectionHosts ?? []) { return ("connection_hosts", .origin) }
        let before = Dictionary(uniqueKeysWithValues: ProviderTemplateValidator.requests(of: old).map { ($0.field, $0.request) })
        for (field, request) in ProviderTemplateValidator.requests(of: new) {
            // A request that is new, or unreadable, counts as moved.
            guard let now = origin(request), now == origin(before[field]) else { return (field + ".endpoint", .origin) }
            guard sendsSecret(field, request, in: new) else { continue }
            if url(request) != url(before[field]) { return (field + ".endpoint", .url) }
            if !sendsSecret(field, before[field], in: old) { return (field + ".auth_method", .secret) }
        }
        return nil
    }

    /// A request's endpoint as written, without the spaces around it.
    static func url(_ request: RequestConfig?) -> String? {
        request?.endpoint?.trimmingCharacters(in: .whitespaces)
    }

    /// The request that would send a stored grant's refresh token (a refresh, or a revocation when
    /// a connection is deleted) to another URL than the old template's, or that is new: another
    /// endpoint of the same host may store or echo what it gets. With endpoints that take their
    /// host from the connection (`connection_hosts`), also what sets that host: the user info
    /// request, and the `user_info.*` entries of the token and refresh requests' maps.
    static func newRefreshTokenURL(from old: OAuth2Config, to new: OAuth2Config) -> String? {
        let requests: [(String, KeyPath<OAuth2Config, RequestConfig?>)] = [
            ("refresh_request", \.refreshRequest), ("token_revocation_request", \.tokenRevocationRequest),
        ]
        for (field, request) in requests where new[keyPath: request] != nil {
            if url(new[keyPath: request]) != url(old[keyPath: request]) { return "\(field).endpoint" }
        }
        guard !(old.connectionHosts ?? []).isEmpty else { return nil }
        if old.userInfoRequest != new.userInfoRequest { return "user_info_request" }
        let maps: [(String, KeyPath<OAuth2Config, RequestConfig?>)] = [
            ("token_request", \.tokenRequest), ("refresh_request", \.refreshRequest),
        ]
        for (field, request) in maps {
            let userInfo = { (config: OAuth2Config) in
                (config[keyPath: request]?.responseMap ?? [:]).filter { $0.key.hasPrefix(ConnectionEndpoint.prefix) }
            }
            if userInfo(old) != userInfo(new) { return "\(field).response_map" }
        }
        return nil
    }

    /// The first request after the authorize request that would send a stored grant's tokens
    /// where none of the old template's did: an origin none of those requests had (or a host a
    /// connection's endpoints may name that the old template did not list; fewer hosts is
    /// stricter, and allowed).
    static func newTokenDestination(from old: OAuth2Config, to new: OAuth2Config) -> String? {
        if !Set(new.connectionHosts ?? []).isSubset(of: old.connectionHosts ?? []) { return "connection_hosts" }
        let tokenSide = { (config: OAuth2Config) in
            ProviderTemplateValidator.requests(of: config).filter { $0.field != "authorize_request" }
        }
        let known = Set(tokenSide(old).compactMap { origin($0.request) })
        for (field, request) in tokenSide(new) {
            guard let now = origin(request), known.contains(now) else { return field + ".endpoint" }
        }
        return nil
    }

    /// The response map entry that would read the grant's refresh token from another place in
    /// the token or refresh answer than the old template did. With the token taken from
    /// elsewhere, the answer checks would no longer know the real one for a refresh token
    /// (`TemplateProviderClient.checkExposure`), and another entry could hand it to apps.
    static func newRefreshTokenSource(from old: OAuth2Config, to new: OAuth2Config) -> String? {
        let requests: [(String, KeyPath<OAuth2Config, RequestConfig?>)] = [
            ("token_request", \.tokenRequest), ("refresh_request", \.refreshRequest),
        ]
        for (field, request) in requests {
            // Read as the response map reads it: none is the answer's own `refresh_token`, and
            // `$['refresh_token']` is `$.refresh_token`.
            let source = { (config: OAuth2Config) -> String in
                let path = config[keyPath: request]?.responseMap?["refresh_token"] ?? "$.refresh_token"
                return (try? ResponseMap.steps(of: path)).map { "\($0)" } ?? path.trimmingCharacters(in: .whitespaces)
            }
            if source(old) != source(new) { return "\(field).response_map.refresh_token" }
        }
        return nil
    }

    /// The refusal of a change to provider `id` that `newTokenDestination`, `newRefreshTokenURL`
    /// or `newRefreshTokenSource` finds, or nil.
    static func newTokenDestinationRefusal(id: String, from old: OAuth2Config, to new: OAuth2Config, tenant: String?)
        -> GatehouseError?
    {
        if let field = newRefreshTokenSource(from: old, to: new) {
            return GatehouseError(
                .conflict,
                "oauth2.\(field) would read the refresh token of auth provider '\(id)''s connections from another place in the provider's answer: delete its connections first (their users authorize again), or add the changed template as a provider of its own (a provider the config file defines is not held to this)"
            )
        }
        if newTokenDestination(from: old, to: new) == nil, let field = newRefreshTokenURL(from: old, to: new) {
            return GatehouseError(
                .conflict,
                "oauth2.\(field) would send the refresh tokens of auth provider '\(id)''s connections to another URL (a new request, or another path of the same host): delete its connections first (their users authorize again), or add the new endpoint as a provider of its own (a provider the config file defines is not held to this)"
            )
        }
        return newTokenDestination(from: old, to: new).map { field in
            // A tenant moves the endpoints that carry it: said as the tenant, which the patch named.
            let change = tenant.map { "tenant '\($0)' moves oauth2.\(field), which" } ?? "oauth2.\(field)"
            return GatehouseError(
                .conflict,
                "\(change) would send the tokens of auth provider '\(id)''s connections to another host, port or scheme: delete its connections first (their users authorize again), or add the new endpoint as a provider of its own (a provider the config file defines is not held to this)"
            )
        }
    }

    /// Where a request goes: its endpoint's origin (scheme, host and port), or for an origin from
    /// the connection its placeholder (the hosts it may name are compared apart).
    static func origin(_ request: RequestConfig?) -> String? {
        guard let endpoint = request?.endpoint else { return nil }
        if let origin = ConnectionEndpoint.originPlaceholder(of: endpoint) { return "{{\(origin)}}" }
        return IssuerCheck.origin(of: ConnectionEndpoint.standIn(endpoint))
    }
}
