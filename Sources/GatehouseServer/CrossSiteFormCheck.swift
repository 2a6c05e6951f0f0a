import Foundation
import HTTPTypes

/// Whether a form post came from another site: the sign-in form carries no CSRF token (there is no
/// session yet), so a page elsewhere could post its own admin key to it and sign an operator's
/// browser in as that key ("login CSRF"). Browsers say where a post came from: `Sec-Fetch-Site`
/// (every current browser), else `Origin`. A post with neither (curl, a script) is not a
/// browser's and is let through.
struct CrossSiteFormCheck: Sendable {
    /// The origin of the public URL (`scheme://host[:port]`), which a proxy in front may show the
    /// browser instead of the address the server listens on.
    let publicOrigin: String

    init(publicURL: String) {
        publicOrigin = Self.origin(of: publicURL) ?? publicURL
    }

    /// Why the request's headers say the post came from another site, or nil when it did not;
    /// `authority` is the address the browser used (the `Host` header).
    func crossSite(_ headers: HTTPFields, authority: String?) -> String? {
        if let site = headers[Self.fetchSite] {
            // `none`: typed or bookmarked; `same-origin`: this dashboard's own page.
            return ["same-origin", "none"].contains(site.lowercased()) ? nil : "Sec-Fetch-Site: \(site)"
        }
        guard let origin = headers[Self.originHeader] else { return nil }
        let sent = Self.origin(of: origin)
        if let sent, sent == publicOrigin { return nil }
        if let sent, let authority, let scheme = sent.split(separator: ":").first,
            Self.origin(of: "\(scheme)://\(authority)") == sent
        {
            return nil
        }
        return "Origin: \(origin)"
    }

    private static let fetchSite = HTTPField.Name("Sec-Fetch-Site")!
    private static let originHeader = HTTPField.Name("Origin")!

    /// `scheme://host[:port]` of `url`, lowercased, with a default port left out; nil when `url`
    /// has no scheme and host (`Origin: null`).
    private static func origin(of url: String) -> String? {
        guard let parts = URLComponents(string: url), let scheme = parts.scheme?.lowercased(),
            let host = parts.host?.lowercased(), !host.isEmpty
        else { return nil }
        let defaultPort = scheme == "https" ? 443 : 80
        let port = parts.port.flatMap { $0 == defaultPort ? nil : ":\($0)" } ?? ""
        return "\(scheme)://\(host)\(port)"
    }
}
