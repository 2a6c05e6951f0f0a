import Foundation
import GatehouseWire

/// A deleted connection's grant still to be revoked at its provider: written in the delete's own
/// transaction, so neither a crash after the delete nor a provider that is down at that moment
/// leaves the grant alive at the provider with nothing left to end it. Removed once the provider
/// has revoked it or refused for good (`RevocationRetrier`).
package struct PendingRevocation: Sendable, Equatable {
    /// The deleted connection's id (with `renewedSuffix` for a grant a refresh renewed while
    /// the connection was deleted).
    package var id: String
    /// The app's user id.
    package var userID: String
    /// The provider's id.
    package var providerID: String
    /// The connection's last token set, sealed as the connection's was (same associated data).
    package var sealedTokens: [UInt8]
    /// What the provider said about the user (a revocation request may name it).
    package var userInfo: [String: JSONValue]?
    /// When the connection was deleted.
    package var createdAt: Date
    /// How many tries have failed.
    package var attempts: Int
    /// When it is next tried.
    package var nextAttemptAt: Date
    /// Why the last try failed.
    package var lastError: String?
    /// Where the revocation may go (`RevocationOrder.destination`).
    package var destination: String
    /// The provider as it was deleted (`RetiredProvider.key`), when the connection went with its
    /// provider; nil when the provider of `providerID` sends it.
    package var retiredProvider: String?

    /// How long after the delete a pending revocation is first due: the deleting replica tries
    /// at once, and the retrier takes the row over only if that try has not ended it by then
    /// (its process died, or the store did not hear the outcome). Longer than a provider call
    /// can last, so the two rarely overlap; when they do, the provider is asked twice, which
    /// RFC 7009 allows.
    package static let firstRetryDelay: TimeInterval = 120
    /// Added to a connection's id, with a random part, for the revocation of the grant a refresh
    /// renewed while the connection was being deleted (the delete's own has the bare id).
    package static let renewedSuffix = ".renewed"

    /// The pending revocation of a connection deleted by `order`.
    package init(of connection: Connection, _ order: RevocationOrder) {
        self.init(
            id: connection.id, userID: connection.userID, providerID: connection.providerID,
            sealedTokens: connection.sealedTokens, userInfo: connection.userInfo, createdAt: order.deletedAt,
            nextAttemptAt: order.deletedAt.addingTimeInterval(Self.firstRetryDelay), destination: order.destination)
    }

    /// Creates a pending revocation.
    package init(
        id: String, userID: String, providerID: String, sealedTokens: [UInt8], userInfo: [String: JSONValue]?,
        createdAt: Date, attempts: Int = 0, nextAttemptAt: Date, lastError: String? = nil, destination: String,
        retiredProvider: String? = nil
    ) {
        self.id = id
        self.userID = userID
        self.providerID = providerID
        self.sealedTokens = sealedTokens
        self.userInfo = userInfo
        self.createdAt = createdAt
        self.attempts = attempts
        self.nextAttemptAt = nextAttemptAt
        self.lastError = lastError
        self.destination = destination
        self.retiredProvider = retiredProvider
    }
}
