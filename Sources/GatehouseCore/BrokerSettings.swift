import Foundation

/// How the broker behaves: fixed at start from configuration.
package struct BrokerSettings: Sendable {
    /// The base URL browsers and providers reach Gatehouse at, without a trailing slash.
    package var publicURL: String
    /// How long a flow accepts its callback and its confirmation.
    package var flowTTL: TimeInterval
    /// How long before expiry a token is refreshed (capped at half its lifetime).
    package var refreshSkew: TimeInterval
    /// How long one replica may hold a connection's refresh lease.
    package var leaseDuration: TimeInterval
    /// How long a callback tries again to store a new grant while the store is away (the
    /// browser waits meanwhile): the code is spent, so a grant not stored means a new consent.
    package var grantWriteRetry: TimeInterval = 30
    /// How long after a failed revocation of a deleted connection's grant the next try comes,
    /// doubling with each failure up to an hour (`auth.revocation_retry.interval`); also how often
    /// the `RevocationRetrier` looks for revocations due.
    package var revocationRetryInterval: TimeInterval = 60
    /// How long after the delete Gatehouse stops trying to revoke a grant
    /// (`auth.revocation_retry.give_up_after`).
    package var revocationGiveUp: TimeInterval = 3 * 86_400
    /// Whether this process is the only server on its store (SQLite: one `serve` at a time), so
    /// what is not at work here is at work nowhere; false on a store replicas share.
    package var soleServer = false
    /// This start's `RunningServer` record, which a callback writes on the flow whose state it
    /// takes: a replica that finds that record gone knows the callback stopped.
    package var serverRecord: String?
    /// Origins (`scheme://host[:port]`) that `next_uri` and verifier URLs may point at; a
    /// `*` port matches any port.
    package var allowedRedirectOrigins: [String]
    /// What user verification does before an operator changes it through the API.
    package var defaultVerification: VerificationSetting
    /// Whether the operator allowed the unsafe skip at all.
    package var unsafeSkipAllowed: Bool
    /// The app's OpenID Provider when the config file sends user verification through it; the
    /// admin API cannot change verification then.
    package var identityIssuer: String?

    /// Creates settings.
    package init(
        publicURL: String, flowTTL: TimeInterval = 900, refreshSkew: TimeInterval = 300,
        leaseDuration: TimeInterval = 30, allowedRedirectOrigins: [String] = [],
        defaultVerification: VerificationSetting, unsafeSkipAllowed: Bool, identityIssuer: String? = nil
    ) {
        self.publicURL = publicURL.hasSuffix("/") ? String(publicURL.dropLast()) : publicURL
        self.flowTTL = flowTTL
        self.refreshSkew = refreshSkew
        self.leaseDuration = leaseDuration
        self.allowedRedirectOrigins = allowedRedirectOrigins
        self.defaultVerification = defaultVerification
        self.unsafeSkipAllowed = unsafeSkipAllowed
        self.identityIssuer = identityIssuer
    }

    /// The callback URL for a provider: one path per provider (mix-up defence).
    package func redirectURI(providerID: String) -> String {
        Self.redirectURI(publicURL: publicURL, providerID: providerID)
    }

    /// The callback URL format, the one place it is spelled.
    package static func redirectURI(publicURL: String, providerID: String) -> String {
        "\(publicURL)/v1/oauth/\(FormEncoding.escape(providerID))/callback"
    }

    /// Whether a URL may be redirected to: its origin is allowed, or it is under the public URL.
    package func isAllowedRedirect(_ text: String) -> Bool {
        // A space or a control character is no part of a URL: a line break would land in the
        // `Location` header (where it becomes a space, a malformed address).
        guard !text.utf8.contains(where: { $0 <= 0x20 || $0 == 0x7F }), let url = URLComponents(string: text),
            let scheme = url.scheme?.lowercased(),
            scheme == "https" || scheme == "http", let host = url.host?.lowercased(), !host.isEmpty,
            url.user == nil, url.password == nil
        else { return false }
        let port = url.port.map(String.init) ?? (scheme == "https" ? "443" : "80")
        if text.hasPrefix(publicURL + "/") { return true }
        return allowedRedirectOrigins.contains { origin in
            guard let allowed = URLComponents(string: origin.replacingOccurrences(of: ":*", with: "")) else { return false }
            let allowedPort =
                origin.hasSuffix(":*") ? "*" : (allowed.port.map(String.init) ?? (allowed.scheme == "https" ? "443" : "80"))
            return allowed.scheme?.lowercased() == scheme && allowed.host?.lowercased() == host
                && (allowedPort == "*" || allowedPort == port)
        }
    }
}

/// The user-verification mode.
package struct VerificationSetting: Codable, Sendable, Equatable {
    /// The app's verifier route, or nil.
    package var verifierURL: String?
    /// Whether to skip verification (development only).
    package var unsafeSkip: Bool

    /// Creates a setting.
    package init(verifierURL: String?, unsafeSkip: Bool) {
        self.verifierURL = verifierURL
        self.unsafeSkip = unsafeSkip
    }
}
