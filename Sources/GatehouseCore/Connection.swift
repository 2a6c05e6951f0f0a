import Foundation
import GatehouseWire

/// One user's grant for one provider: the accumulated scopes and the encrypted token set.
public struct Connection: Sendable, Equatable {
    /// Where a connection stands.
    public enum Status: String, Sendable {
        /// Usable.
        case active
        /// The provider refused the refresh token; the user must authorize again.
        case reauthorizationRequired = "reauthorization_required"
    }

    /// The record id (`uc_...`).
    public var id: String
    /// The app's user id.
    public var userID: String
    /// The provider's id.
    public var providerID: String
    /// The scopes granted so far.
    public var scopes: [String]
    /// The token set, encrypted (AAD `connection:<id>`).
    public var sealedTokens: [UInt8]
    /// When the access token expires (kept in the clear for the refresh sweep).
    public var expiresAt: Date
    /// What the provider said about the user.
    public var userInfo: [String: JSONValue]?
    /// Where it stands.
    public var status: Connection.Status
    /// The authorization id that last granted it.
    public var authID: String
    /// When it was created.
    public var createdAt: Date
    /// When it last changed.
    public var updatedAt: Date
    /// Bumped on every change.
    public var version: Int

    /// Creates a connection.
    public init(
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
    public static func cipherContext(providerID: String, userID: String) -> String {
        "connection:\(providerID)\u{1F}\(userID)"
    }
}
