import Crypto
import Foundation
import GatehouseCore

/// Dashboard sign-ins: the cookie names the admin key and when the session ends, signed
/// (HMAC-SHA256) with a key derived from the root key, so every replica accepts it. A session's
/// CSRF token is derived from it the same way. The key behind a session is looked up on every
/// request, so revoking it ends the session; signing out records the session's id in the store
/// (`Store.endDashboardSession`), so a copy of the cookie ends with it on every replica.
struct DashboardSessions: Sendable {
    /// The cookie's name.
    static let cookieName = "gatehouse_dashboard"
    /// How long a sign-in lasts.
    static let lifetime: TimeInterval = 8 * 3600

    /// A signed-in session.
    struct Session: Sendable {
        /// The session's id: SHA-256 (hex) of the cookie's random part, what a sign-out records.
        let id: String
        /// The admin key's id (its hash prefix).
        let keyID: String
        /// When the cookie lapses.
        let expiresAt: Date
        /// The token every form must carry.
        let csrf: String
    }

    private let key: SymmetricKey
    /// Whether the cookie is `Secure`: everywhere but a loopback public URL.
    let secure: Bool

    init(key: SymmetricKey, secure: Bool) {
        self.key = key
        self.secure = secure
    }

    /// A new session's cookie value.
    func issue(keyID: String, now: Date) -> String {
        let payload = "\(keyID).\(Int(now.timeIntervalSince1970 + Self.lifetime)).\(SecureRandom.token(bytes: 16))"
        return payload + "." + mac(payload)
    }

    /// The session a cookie value carries, if its signature holds and it has not ended.
    func session(cookie: String, now: Date) -> Session? {
        let parts = cookie.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        guard parts.count == 4, let expiry = Int(parts[1]), Double(expiry) > now.timeIntervalSince1970,
            Self.same(parts[3], mac(parts[0..<3].joined(separator: ".")))
        else { return nil }
        return Session(
            id: SecretHash.hex(parts[2]), keyID: parts[0], expiresAt: Date(timeIntervalSince1970: Double(expiry)),
            csrf: mac("csrf:" + parts[2]))
    }

    /// Whether a form's token is the session's.
    func accepts(csrf token: String?, for session: Session) -> Bool {
        token.map { Self.same($0, session.csrf) } ?? false
    }

    /// Compares in time that does not depend on where the texts differ.
    private static func same(_ a: String, _ b: String) -> Bool {
        let (a, b) = (Array(a.utf8), Array(b.utf8))
        return a.count == b.count && zip(a, b).reduce(0) { $0 | ($1.0 ^ $1.1) } == 0
    }

    /// The `Set-Cookie` value that starts a session.
    func setCookie(_ value: String) -> String {
        "\(Self.cookieName)=\(value); Path=/dashboard; Max-Age=\(Int(Self.lifetime)); HttpOnly; SameSite=Strict"
            + (secure ? "; Secure" : "")
    }

    /// The `Set-Cookie` value that ends it.
    var clearCookie: String {
        "\(Self.cookieName)=; Path=/dashboard; Max-Age=0; HttpOnly; SameSite=Strict" + (secure ? "; Secure" : "")
    }

    private func mac(_ text: String) -> String {
        Base64URL.encode(Array(HMAC<SHA256>.authenticationCode(for: Array(text.utf8), using: key)))
    }
}
