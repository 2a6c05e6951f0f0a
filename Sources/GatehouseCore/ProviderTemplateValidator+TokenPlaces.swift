import Foundation
import GatehouseWire

// Where a template may put a token: never in a URL, and never in the user info, which apps
// read and the store keeps unsealed.
extension ProviderTemplateValidator {
    /// The placeholders whose value is a secret a URL must not carry.
    static let secretPlaceholders: Set<String> = ["client_secret", "refresh_token", "access_token", "token"]

    /// The token answer's members that hold tokens: no `user_info.*` mapping may read them.
    static let tokenMembers: Set<String> = ["access_token", "refresh_token", "id_token"]

    /// A GET puts its params in the URL, which servers and proxies log: the requests that carry a
    /// code, a refresh token or a token to revoke must POST (RFC 6749 §3.2, RFC 7009 §2.1), and
    /// no other GET may carry a secret in its params.
    static func validateTokenPlaces(_ config: OAuth2Config, prefix: String) throws {
        // What each request that must POST carries.
        let posted = [
            "token_request": "the code", "refresh_request": "the refresh token",
            "token_revocation_request": "the token to revoke",
        ]
        for (field, request) in requests(of: config) {
            guard let call = calls[field], effectiveMethod(call, request) == "GET" else { continue }
            let name = "\(prefix).\(field)"
            if let carried = posted[field] {
                throw GatehouseError.invalid(
                    "\(name).method must be POST: a GET would put \(carried) in the URL, where logs keep it")
            }
            // The user info and introspection GET when they name no method: said, since the
            // template does not show it.
            let method = request.method == nil ? "method GET (what it sends when it names none)" : "method GET"
            if effectiveAuthMethod(call, request, in: config) == "client_secret_post" {
                throw GatehouseError.invalid(
                    "\(name).auth_method client_secret_post with \(method) would put the client secret in the URL: use client_secret_basic, or POST"
                )
            }
            for (param, value) in (request.params ?? [:]).sorted(by: { $0.key < $1.key }) {
                // As the renderer reads them: `{{ token }}` is `{{token}}`.
                if let secret = TemplateRenderer.placeholders(in: value).first(where: secretPlaceholders.contains) {
                    throw GatehouseError.invalid(
                        "\(name).params.\(param) may not use {{\(secret)}} with \(method): it would go in the URL; send it in a header, or POST"
                    )
                }
            }
        }
        try validateExposedMappings(config, prefix: prefix)
        for (field, request) in [("token_request", config.tokenRequest), ("refresh_request", config.refreshRequest)] {
            for (key, expression) in (request?.responseMap ?? [:]).sorted(by: { $0.key < $1.key })
            where key.hasPrefix(ConnectionEndpoint.prefix) {
                // A path through a token member at any depth (Slack's `$.authed_user.refresh_token`),
                // or the whole answer. A function of one
                // (`jwt_decode('$.id_token', '$.email')` reads a claim) is let through: the user
                // info loses any token it would carry all the same (`redacting(_:)`).
                if let members = Self.members(of: expression), members.isEmpty || members.contains(where: tokenMembers.contains) {
                    throw GatehouseError.invalid(
                        "\(prefix).\(field).response_map.\(key) may not read the answer's tokens (or the whole answer): apps read the user info, and the store keeps it unsealed"
                    )
                }
            }
        }
    }

    /// The granted scopes reach apps (every completed `authorize`) and the store keeps them
    /// unsealed; the access token reaches apps. A response map may not fill the scopes from a
    /// token (or from the whole answer), nor the access token from the refresh token, which never
    /// leaves the server. (Paths this cannot read, and functions, are checked on each answer:
    /// `TemplateProviderClient.checkExposure`.)
    static func validateExposedMappings(_ config: OAuth2Config, prefix: String) throws {
        let maps = [
            ("token_request", config.tokenRequest), ("refresh_request", config.refreshRequest),
            ("token_introspection_request", config.tokenIntrospectionRequest),
        ]
        for (field, request) in maps {
            let map = request?.responseMap ?? [:]
            if let scope = map["scope"], let last = lastMember(of: scope),
                last == "$" || last == "*" || tokenMembers.contains(last)
            {
                throw GatehouseError.invalid(
                    "\(prefix).\(field).response_map.scope may not read the answer's tokens (or the whole answer): apps read the scopes, and the store keeps them unsealed"
                )
            }
            if let access = map["access_token"], lastMember(of: access) == "refresh_token" {
                throw GatehouseError.invalid(
                    "\(prefix).\(field).response_map.access_token may not read a refresh token: apps read the access token, and a refresh token never leaves Gatehouse"
                )
            }
        }
    }

    /// The members a plain JSONPath reads, as `ResponseMap.select` reads them (`$.a[0]['b']`
    /// gives `a`, `[0]`, `b`); empty for the whole document; nil for a function, or a path it
    /// cannot read.
    static func members(of expression: String) -> [String]? {
        guard let steps = try? ResponseMap.steps(of: expression) else { return nil }
        return steps.map { step in
            switch step {
            case .member(let name): name
            case .index(let index): "[\(index)]"
            }
        }
    }

    /// The member a plain JSONPath ends at (`$.a.b` and `$['a']['b']` give `b`, `$.a[0]` gives
    /// `[0]`), `$` for the whole document; nil for a function, or a path it cannot read.
    static func lastMember(of expression: String) -> String? {
        members(of: expression).map { $0.last ?? "$" }
    }
}
