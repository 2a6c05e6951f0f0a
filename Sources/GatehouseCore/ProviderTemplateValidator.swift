import Foundation
import GatehouseWire

/// Checks a provider template before it is stored, naming the bad field.
public enum ProviderTemplateValidator {
    static let authMethods: Set<String> = ["", "none", "client_secret_basic", "client_secret_post", "bearer_access_token"]
    static let contentTypes: Set<String> = ["application/x-www-form-urlencoded", "application/json"]

    /// Validates a provider id.
    public static func validate(id: String) throws {
        guard !id.isEmpty, id.count <= 100,
            id.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "-_.".contains($0)) })
        else {
            throw GatehouseError.invalid("id must be 1-100 characters of letters, digits, '-', '_' or '.'")
        }
    }

    /// Validates a complete template (after a built-in template was merged in).
    public static func validate(_ config: OAuth2Config, prefix: String = "oauth2") throws {
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
        try validate(authorize, name: "\(prefix).authorize_request")
        guard let token = config.tokenRequest else {
            throw GatehouseError.invalid("\(prefix).token_request is required")
        }
        try validate(token, name: "\(prefix).token_request")
        if let refresh = config.refreshRequest { try validate(refresh, name: "\(prefix).refresh_request") }
        if let info = config.userInfoRequest { try validate(info, name: "\(prefix).user_info_request") }
        if let introspection = config.tokenIntrospectionRequest {
            try validate(introspection, name: "\(prefix).token_introspection_request")
            if let format = introspection.expirationFormat, !["absolute_unix_timestamp", "relative_seconds"].contains(format) {
                throw GatehouseError.invalid(
                    "\(prefix).token_introspection_request.expiration_format must be absolute_unix_timestamp or relative_seconds")
            }
        }
    }

    static func validate(_ request: RequestConfig, name: String) throws {
        guard let endpoint = request.endpoint, !endpoint.isEmpty else {
            throw GatehouseError.invalid("\(name).endpoint is required")
        }
        guard endpoint.count <= 1000, let url = URLComponents(string: endpoint), let scheme = url.scheme?.lowercased(),
            let host = url.host, !host.isEmpty
        else {
            throw GatehouseError.invalid("\(name).endpoint must be an absolute URL")
        }
        // Plain HTTP only on loopback: tokens and secrets never cross a network in the clear.
        let loopback = host == "localhost" || host.hasPrefix("127.") || host == "::1" || host == "[::1]"
        guard scheme == "https" || (scheme == "http" && loopback) else {
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
}
