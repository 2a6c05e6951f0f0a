import Foundation
import GatehouseWire

/// Endpoints filled from what is known of the connection: `{{user_info.instance_url}}/services/
/// oauth2/token` (Salesforce's org), `https://api.example.com/orgs/{{user_info.org_id}}/me`.
///
/// The values come from the provider's own answers, so they may not choose where secrets go
/// unchecked: an origin taken from one must be https (http only on literal loopback), with no
/// path, and name one of the template's `connection_hosts`; a value placed after the origin is
/// percent-encoded, so it stays one path segment. Anything else fails the call before a byte is
/// sent.
package enum ConnectionEndpoint {
    /// The placeholders a connection fills (`user_info.<key>`), and the `response_map` keys of
    /// a token request that go to the connection's user info instead of its tokens.
    package static let prefix = "user_info."
    /// The requests that run with a connection (or, for user info, with a token answer) in hand.
    package static let connectionRequests: Set<String> = [
        "refresh_request", "user_info_request", "token_introspection_request", "token_revocation_request",
    ]
    /// What validation puts in place of an origin placeholder.
    package static let standInOrigin = "https://connection.invalid"

    /// The renderer values for `info`: `user_info.<key>` for each string, number or boolean.
    package static func values(_ info: [String: JSONValue]?) -> [String: String] {
        var values: [String: String] = [:]
        for (key, value) in info ?? [:] {
            if let text = value.stringValue { values[prefix + key] = text }
        }
        return values
    }

    /// The placeholder an endpoint takes its origin from, when it starts with one.
    package static func originPlaceholder(of endpoint: String) -> String? {
        splitOrigin(endpoint)?.placeholder
    }

    /// An endpoint that starts with a placeholder: its name, and what follows it.
    private static func splitOrigin(_ endpoint: String) -> (placeholder: String, rest: Substring)? {
        guard endpoint.hasPrefix("{{"), let close = endpoint.range(of: "}}") else { return nil }
        let name = endpoint[endpoint.index(endpoint.startIndex, offsetBy: 2)..<close.lowerBound]
        return (name.trimmingCharacters(in: .whitespaces), endpoint[close.upperBound...])
    }

    /// Whether a `connection_hosts` entry is a host name (or `*.` and a domain of two labels or
    /// more), or an IP literal.
    package static func isValidPattern(_ pattern: String) -> Bool {
        let name = pattern.hasPrefix("*.") ? String(pattern.dropFirst(2)) : pattern
        let labels = name.split(separator: ".", omittingEmptySubsequences: false)
        guard labels.count >= 2, name.utf8.count <= 253 else { return false }
        return labels.allSatisfy { isHostLabel($0) && $0.utf8.count <= 63 }
    }

    /// Whether `host` is one of `patterns`: a name exactly, or any name under `*.domain`.
    package static func host(_ host: String, matches patterns: [String]) -> Bool {
        let host = host.lowercased()
        return patterns.contains { pattern in
            let pattern = pattern.lowercased()
            guard pattern.hasPrefix("*.") else { return host == pattern }
            return host.hasSuffix(pattern.dropFirst(1)) && host.count > pattern.count - 1
        }
    }

    /// Whether the placeholders of an endpoint stand where they may: the whole origin at the
    /// start, or after the authority (in the path or query), never inside the host or port.
    package static func placeholdersArePlaced(in endpoint: String) -> Bool {
        guard endpoint.contains("{{") else { return true }
        if let origin = splitOrigin(endpoint) { return origin.rest.isEmpty || origin.rest.hasPrefix("/") }
        guard let scheme = endpoint.range(of: "://") else { return false }
        let rest = endpoint[scheme.upperBound...]
        let authority = rest.prefix { $0 != "/" && $0 != "?" && $0 != "#" }
        return !authority.contains("{") && !authority.contains("}")
    }

    /// The endpoint to call: placeholders filled from `values`, the origin checked against
    /// `hosts`. An endpoint without placeholders is returned as it is.
    package static func resolve(_ endpoint: String, values: [String: String], hosts: [String]?) throws -> String {
        guard endpoint.contains("{{") else { return endpoint }
        // Checked when the template was stored; checked again, as a template read from an
        // older store never was.
        guard placeholdersArePlaced(in: endpoint) else {
            throw ProviderCallError(.configuration, "the endpoint has a placeholder in its host")
        }
        var rest = Substring(endpoint)
        var output = ""
        var expectedHost: String?
        if let split = splitOrigin(endpoint) {
            let origin = try origin(named: split.placeholder, values: values, hosts: hosts ?? [])
            output = origin.text
            expectedHost = origin.host
            rest = split.rest
        }
        output += try TemplateRenderer.substitute(rest) { name in
            guard let value = values[name], !value.isEmpty, value != ".", value != ".." else {
                // This connection's own lack (its user info never said it): a consent may mend it.
                throw ProviderCallError(.rejected, "the endpoint names {{\(name)}}, which this connection does not have")
            }
            return value.addingPercentEncoding(withAllowedCharacters: unreserved) ?? ""
        }
        // What is sent must name the host that was checked (or the template's own).
        let sent = URLComponents(string: output)?.host?.lowercased()
        let wanted = expectedHost ?? URLComponents(string: standIn(endpoint))?.host?.lowercased()
        guard let sent, sent == wanted else {
            throw ProviderCallError(.configuration, "the endpoint does not resolve to the host that was checked")
        }
        return output
    }

    /// An endpoint with stand-ins for its placeholders, to read the rest of it as a URL.
    package static func standIn(_ endpoint: String) -> String {
        guard endpoint.contains("{{") else { return endpoint }
        let split = splitOrigin(endpoint)
        return (split == nil ? "" : standInOrigin) + TemplateRenderer.substitute(split?.rest ?? Substring(endpoint)) { _ in "x" }
    }

    /// An origin value, read strictly: `http(s)://` and a host of letters, digits, `-` and `.`
    /// (no percent-escapes, no user, no path but `/`), an optional port (443 only, but on
    /// literal loopback); http only on literal loopback; the host one of `hosts`.
    private static func origin(named name: String, values: [String: String], hosts: [String]) throws -> (
        text: String, host: String
    ) {
        guard let value = values[name], !value.isEmpty else {
            throw ProviderCallError(
                .rejected, "the endpoint takes its host from {{\(name)}}, which this connection does not have")
        }
        let notAnOrigin = ProviderCallError(
            .configuration, "{{\(name)}} is not an origin like https://host: '\(value.prefix(200))'")
        guard let separator = value.range(of: "://") else { throw notAnOrigin }
        let scheme = value[..<separator.lowerBound].lowercased()
        var authority = value[separator.upperBound...]
        if authority.hasSuffix("/") { authority = authority.dropLast() }
        let parts = authority.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
        let host = String(parts[0]).lowercased()
        let labels = host.split(separator: ".", omittingEmptySubsequences: false)
        guard scheme == "https" || scheme == "http", !labels.isEmpty, labels.allSatisfy(isHostLabel),
            parts.count == 1 || (parts[1].count <= 5 && !parts[1].isEmpty && parts[1].utf8.allSatisfy(Self.isDigit))
        else { throw notAnOrigin }
        guard ProviderNetworkPolicy.mayCarrySecrets(scheme: scheme, host: host) else {
            throw ProviderCallError(
                .configuration, "{{\(name)}} must be https (http only on literal loopback): '\(value.prefix(200))'")
        }
        // connection_hosts names hosts, not services: off loopback, the secret goes to the
        // host's https port only, whatever port a provider's answer names.
        if parts.count == 2, parts[1] != "443", !ProviderNetworkPolicy.isLiteralLoopback(host: host) {
            throw ProviderCallError(
                .configuration, "{{\(name)}} names the port \(parts[1]); off loopback only https's own (443) is allowed")
        }
        guard self.host(host, matches: hosts) else {
            throw ProviderCallError(
                .configuration,
                "{{\(name)}} names the host '\(host.prefix(253))', which is not one of the template's connection_hosts"
            )
        }
        return (scheme + "://" + host + (parts.count == 2 ? ":" + parts[1] : ""), host)
    }

    private static func isDigit(_ byte: UInt8) -> Bool { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) }

    /// A label of a host name: ASCII letters, digits and `-`, at least one.
    private static func isHostLabel(_ label: Substring) -> Bool {
        !label.isEmpty
            && label.utf8.allSatisfy { byte in
                isDigit(byte) || byte == UInt8(ascii: "-") || (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte)
                    || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
            }
    }

    private static let unreserved = CharacterSet(
        charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
}
