import Foundation
import GatehouseWire

/// RFC 9207 on a provider's redirect back: the `iss` it carries must name the authorization
/// server the flow was sent to (a mix-up defence, beside the callback path per provider).
package enum IssuerCheck {
    /// Why the callback must be refused, or nil when its `iss` (or its absence) is acceptable.
    ///
    /// With `oauth2.issuer`, the callback must carry exactly that (RFC 9207 §2.4: simple string
    /// comparison; a provider that names its issuer sends it on every redirect). Without it, an
    /// `iss` that comes anyway must be on the origin of the template's authorize or token
    /// endpoint: the issuer is not known exactly, but another server's is refused.
    package static func problem(iss: String?, template: OAuth2Config) -> String? {
        if let expected = template.issuer {
            guard let iss else {
                return "the callback carries no iss, and the provider names its issuer (oauth2.issuer) in every redirect"
            }
            return iss == expected ? nil : "the callback's iss '\(shown(iss))' is not the provider's issuer '\(expected)'"
        }
        guard let iss else { return nil }
        let origins = [template.authorizeRequest?.endpoint, template.tokenRequest?.endpoint].compactMap {
            $0.flatMap(origin(of:))
        }
        guard let given = origin(of: iss), origins.contains(given) else {
            return
                "the callback's iss '\(shown(iss))' is on neither the authorize nor the token endpoint's origin (oauth2.issuer checks it exactly)"
        }
        return nil
    }

    /// Whether `text` may stand as an issuer identifier: an https URL (http only on a literal
    /// loopback host) without query or fragment (RFC 8414 §2).
    package static func isIssuer(_ text: String) -> Bool {
        guard let url = URLComponents(string: text), let host = url.host, !host.isEmpty, url.query == nil,
            url.fragment == nil, url.user == nil
        else { return false }
        return ProviderNetworkPolicy.mayCarrySecrets(scheme: url.scheme?.lowercased() ?? "", host: host)
    }

    /// `scheme://host[:port]`, lower-cased, without the scheme's default port; nil unless http(s)
    /// with a host.
    package static func origin(of url: String) -> String? {
        guard let parts = URLComponents(string: url), let scheme = parts.scheme?.lowercased(),
            scheme == "https" || scheme == "http", let host = parts.host?.lowercased(), !host.isEmpty
        else { return nil }
        let port = parts.port.flatMap { (scheme == "https" && $0 == 443) || (scheme == "http" && $0 == 80) ? nil : $0 }
        return "\(scheme)://\(host)" + (port.map { ":\($0)" } ?? "")
    }

    /// The value as the log and the flow's reason show it: what a URL may hold, at most 200
    /// characters (it comes from the browser's address bar).
    static func shown(_ text: String) -> String {
        String(text.prefix(200).filter { $0.isASCII && ($0.isLetter || $0.isNumber || ":/.-_~%".contains($0)) })
    }
}
