import Foundation
import GatehouseWire

// One call to a provider's endpoint: the request a template describes (parameters, client
// credentials in exactly one place, the body's type), sent through the guarded transport,
// timed, and its answer read by the template's rules.
extension TemplateProviderClient {
    /// One call to the provider, timed for `gatehouse_provider_call_duration_seconds`.
    /// `emptyAnswer`: a 2xx without a JSON body is an empty object (a revocation's answer, RFC 7009).
    func call(
        _ kind: Telemetry.ProviderCall, _ config: RequestConfig, provider: Provider, renderer: TemplateRenderer,
        autoParams: [String: String], accessToken: String?, emptyAnswer: Bool = false
    ) async throws -> JSONValue {
        let started = ContinuousClock.now
        // The method as the checks read it: a user info or introspection that names none GETs.
        var config = config
        config.method = ProviderTemplateValidator.effectiveMethod(kind, config)
        do {
            let document = try await call(
                config, provider: provider, renderer: renderer, autoParams: autoParams, accessToken: accessToken,
                emptyAnswer: emptyAnswer)
            telemetry.providerCall(provider: provider.id, call: kind, succeeded: true, duration: started.duration(to: .now))
            return document
        } catch {
            telemetry.providerCall(provider: provider.id, call: kind, succeeded: false, duration: started.duration(to: .now))
            throw error
        }
    }

    func call(
        _ config: RequestConfig, provider: Provider, renderer: TemplateRenderer,
        autoParams: [String: String], accessToken: String?, emptyAnswer: Bool = false
    ) async throws -> JSONValue {
        guard let template = config.endpoint else {
            throw ProviderCallError(.configuration, "request has no endpoint")
        }
        let endpoint = try ConnectionEndpoint.resolve(
            template, values: renderer.values, hosts: provider.oauth2.connectionHosts)
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
            headers.append(
                ("Authorization", FormEncoding.basicCredentials(clientID: provider.clientID, secret: provider.clientSecret ?? ""))
            )
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
        // A value from a provider's answer ({{user_info.*}}) must not start a header of its own,
        // nor hold another control character, which the HTTP client refuses. (By bytes: "\r\n"
        // is one Character, equal to neither "\r" nor "\n".)
        for (name, value) in headers where value.utf8.contains(where: { ($0 < 0x20 && $0 != 0x09) || $0 == 0x7F }) {
            throw ProviderCallError(.rejected, "header \(name) would carry a line break or another control character")
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
            throw ProviderCallError(.configuration, "\(Self.host(of: endpoint)): \(refusal)")
        } catch {
            throw ProviderCallError(.transient, "could not reach \(Self.host(of: endpoint)): \(Self.describe(error))")
        }
        // What this request carried that a provider's error text must not repeat to logs and apps
        // (a token endpoint may quote the code or refresh token it refused), under the standard
        // names or any other a template gave them (a parameter, a header).
        let names = ["code", "code_verifier", "refresh_token", "token", "access_token"]
        let secrets = ([provider.clientSecret, accessToken] + names.map { params[$0] } + names.map { renderer.values[$0] })
            .compactMap { $0 }
        // Also as they went: percent-encoded in the form or the query, and the Authorization
        // header's credentials (the client's, base64-encoded, with `client_secret_basic`).
        let credentials = headers.filter { $0.0.lowercased() == "authorization" }
            .map { String($0.1.split(separator: " ", maxSplits: 1).last ?? "") }
        let sent = secrets + secrets.map(FormEncoding.escape) + credentials
        return try Self.parse(response, config: config, host: Self.host(of: endpoint), sent: sent, bodyOptional: emptyAnswer)
    }

    /// `text` without the `secrets` (`ProviderTextRedaction`).
    static func redacting(_ text: String, _ secrets: [String]) -> String {
        ProviderTextRedaction.redacting(text, secrets)
    }

    /// Reads a provider's answer. `bodyOptional`: a 2xx whose body is not JSON (or is empty) is an
    /// empty object, as RFC 7009 §2.2 reads a revocation's answer by its status alone, but for an
    /// HTML page; a JSON body is still read for an error that a 2xx may carry (Slack's `ok: false`).
    static func parse(
        _ response: OutboundResponse, config: RequestConfig, host: String, sent: [String] = [], bodyOptional: Bool = false
    ) throws -> JSONValue {
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
            // Both are the provider's words, logged and kept with a failed flow: bounded.
            let description =
                object?["error_description"]?.stringValue.map { ": \(Self.bounded(redacting($0, sent), 300))" } ?? ""
            let kind: ProviderCallError.Kind
            if ["invalid_grant", "invalid_refresh_token", "token_revoked", "bad_refresh_token", "token_expired"].contains(error) {
                kind = .invalidGrant
            } else if response.status == 429 || response.status >= 500
                || ["temporarily_unavailable", "server_error", "ratelimited"].contains(error)
            {
                kind = .transient
            } else if ["invalid_client", "incorrect_client_credentials", "invalid_client_id", "bad_client_secret"]
                .contains(error)
            {
                // RFC 6749's; GitHub's (with a 200); Slack's two.
                kind = .configuration
            } else {
                kind = .rejected
            }
            throw ProviderCallError(
                kind, "\(host) answered \(response.status) \(Self.bounded(redacting(error, sent), 100))\(description)")
        }
        guard (200..<300).contains(response.status) else {
            let kind: ProviderCallError.Kind =
                switch response.status {
                // A timeout, a rate limit, a server error; a bare 403 is a gateway's or a
                // firewall's (the provider's own refusals say an OAuth error).
                case 403, 408, 429, 500...: .transient
                // RFC 6749 §5.2: the client's authentication failed; or no such endpoint.
                case 401, 404, 405: .configuration
                default: .rejected
                }
            throw ProviderCallError(kind, "\(host) answered HTTP \(response.status)")
        }
        guard let document else {
            // (A page, though, is most often a wrong path's or a sign-in page: not taken as a yes.
            // An empty body is, whatever its type: Django's default is text/html.)
            if bodyOptional,
                !contentType.contains("html") || response.body.allSatisfy({ $0 == 32 || $0 == 10 || $0 == 13 || $0 == 9 })
            {
                return .object([:])
            }
            // Form and plain-text answers always read; anything else was read as JSON. A page
            // where JSON belongs is most often a maintenance or gateway page: tried again later.
            throw ProviderCallError(
                .transient,
                "\(host) answered \(response.status) with a body that is not JSON (Content-Type: \(contentType.prefix(100)))")
        }
        // GraphQL (Linear's user info) says errors with a 200 and a non-empty `errors` array.
        if case .array(let errors)? = object?["errors"], let first = errors.first {
            let message = redacting(first.objectValue?["message"]?.stringValue ?? "no message", sent)
            throw ProviderCallError(
                .rejected, "\(host) answered \(response.status) with GraphQL errors: \(String(message.prefix(200)))")
        }
        return document
    }

    static func host(of url: String) -> String {
        URLComponents(string: url)?.host ?? "the provider"
    }

    /// At most `limit` characters of a provider's text, marked when cut.
    static func bounded(_ text: String, _ limit: Int) -> String {
        text.count <= limit ? text : text.prefix(limit) + "… (\(text.utf8.count) bytes)"
    }

    static func describe(_ error: any Error) -> String {
        String(describing: error).prefix(200).description
    }
}
