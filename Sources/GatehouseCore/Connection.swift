import Foundation
import GatehouseWire

/// One user's grant for one provider: the accumulated scopes and the encrypted token set.
package struct Connection: Sendable, Equatable {
    /// Where a connection stands.
    package enum Status: String, Sendable {
        /// A status as a store holds it; one this build does not know (a newer release's) reads
        /// as needing a new consent, which serves no token.
        package init(stored: String) {
            self = Status(rawValue: stored) ?? .reauthorizationRequired
        }

        /// Usable.
        case active
        /// The provider refused the refresh token; the user must authorize again.
        case reauthorizationRequired = "reauthorization_required"
    }

    /// The record id (`uc_...`).
    package var id: String
    /// The app's user id.
    package var userID: String
    /// The provider's id.
    package var providerID: String
    /// The scopes granted so far.
    package var scopes: [String]
    /// The token set, encrypted (AAD `connection:<id>`).
    package var sealedTokens: [UInt8]
    /// When the access token expires (kept in the clear for the refresh sweep).
    package var expiresAt: Date
    /// What the provider said about the user.
    package var userInfo: [String: JSONValue]?
    /// Where it stands.
    package var status: Connection.Status
    /// The authorization id that last granted it.
    package var authID: String
    /// When it was created.
    package var createdAt: Date
    /// When it last changed.
    package var updatedAt: Date
    /// Bumped on every change.
    package var version: Int

    /// Creates a connection.
    package init(
        id: String, userID: String, providerID: String, scopes: [String], sealedTokens: [UInt8],
        expiresAt: Date, userInfo: [String: JSONValue]?, status: Connection.Status,
        authID: String, createdAt: Date, updatedAt: Date, version: Int = 1
    ) {
        self.id = id
        self.userID = userID
        self.providerID = providerID
        self.scopes = scopes
        self.sealedTokens = sealedTokens
        self.expiresAt = expiresAt
        self.userInfo = userInfo
        self.status = status
        self.authID = authID
        self.createdAt = createdAt
        self.updatedAt = updatedAt
        self.version = version
    }

    /// The associated data that binds a token blob to this row. The row's natural key
    /// (provider, user) is used, so a blob survives an upsert that keeps the row.
    package static func cipherContext(providerID: String, userID: String) -> String {
        "connection:\(providerID)\u{1F}\(userID)"
    }
}
