import Foundation
import GatehouseWire

/// What a provider's token endpoint granted. Only ever stored encrypted.
package struct TokenSet: Codable, Sendable, Equatable, CustomStringConvertible, CustomDebugStringConvertible {
    /// The access token.
    package var accessToken: String
    /// The refresh token, when the provider issued one.
    package var refreshToken: String?
    /// Usually `Bearer`.
    package var tokenType: String?
    /// When the access token was obtained.
    package var obtainedAt: Date
    /// When the access token expires.
    package var expiresAt: Date
    /// The scopes the provider said it granted, when it said.
    package var scopes: [String]?
    /// User info the token answer itself carried (`user_info.*` keys of the token request's
    /// `response_map`: Notion's owner and workspace, Salesforce's `instance_url`). Handed to the
    /// connection's user info, never stored with the tokens.
    package var responseUserInfo: [String: JSONValue]?

    enum CodingKeys: String, CodingKey {
        case accessToken, refreshToken, tokenType, obtainedAt, expiresAt, scopes
    }

    /// Creates a token set.
    package init(
        accessToken: String, refreshToken: String?, tokenType: String?, obtainedAt: Date,
        expiresAt: Date, scopes: [String]?, responseUserInfo: [String: JSONValue]? = nil
    ) {
        self.accessToken = accessToken
        self.refreshToken = refreshToken
        self.tokenType = tokenType
        self.obtainedAt = obtainedAt
        self.expiresAt = expiresAt
        self.scopes = scopes
        self.responseUserInfo = responseUserInfo
    }

    /// How long before expiry a token counts as stale: the skew, but never more than half the
    /// token's lifetime, so short-lived tokens are not refreshed on every read.
    package func staleAt(skew: TimeInterval) -> Date {
        let lifetime = max(0, expiresAt.timeIntervalSince(obtainedAt))
        return expiresAt.addingTimeInterval(-min(skew, lifetime / 2))
    }

    /// Redacted: tokens never reach logs.
    package var description: String {
        "TokenSet(access: <redacted>, refresh: \(refreshToken == nil ? "none" : "<redacted>"), expiresAt: \(expiresAt))"
    }

    /// Redacted, as `description`.
    package var debugDescription: String { description }
}
