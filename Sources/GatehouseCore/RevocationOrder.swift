import Foundation

/// What a connection's delete needs to queue the revocation of its grant.
package struct RevocationOrder: Sendable, Equatable {
    /// When the connection is deleted.
    package var deletedAt: Date
    /// Where the revocation goes: the origin of the provider's revocation endpoint at the delete
    /// (`Provider.revocationDestination`). A later try goes nowhere else.
    package var destination: String

    /// Creates an order.
    package init(deletedAt: Date, destination: String) {
        self.deletedAt = deletedAt
        self.destination = destination
    }
}
