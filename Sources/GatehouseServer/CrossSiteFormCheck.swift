import Foundation
import GatehouseCore
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
        publicOrigin = IssuerCheck.origin(of: publicURL) ?? publicURL
    }

    /// Why the request's headers say the post came from another site, or nil when it did not;
    /// `authority` is the address the browser used (the `Host` header).
    func crossSite(_ headers: HTTPFields, authority: String?) -> String? {
        if let site = headers[Self.fetchSite] {
            // `none`: typed or bookmarked; `same-origin`: this dashboard's own page.
            return ["same-origin", "none"].contains(site.lowercased()) ? nil : "Sec-Fetch-Site: \(site)"
        }
        guard let origin = headers[Self.originHeader] else { return nil }
        let sent = IssuerCheck.origin(of: origin)
        if let sent, sent == publicOrigin { return nil }
        if let sent, let authority, let scheme = sent.split(separator: ":").first,
            IssuerCheck.origin(of: "\(scheme)://\(authority)") == sent
        {
            return nil
        }
        return "Origin: \(origin)"
    }

    private static let fetchSite = HTTPField.Name("Sec-Fetch-Site")!
    private static let originHeader = HTTPField.Name("Origin")!
}
