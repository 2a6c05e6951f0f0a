import Foundation
import GatehouseWire

/// What a connection's delete needs to queue the revocation of its grant.
package struct RevocationOrder: Sendable, Equatable {
    /// When the connection is deleted.
    package var deletedAt: Date
    /// Where the revocation goes: the origin of the provider's revocation endpoint at the delete
    /// (`Provider.revocationDestination`). A later try goes nowhere else.
    package var destination: String

    /// The order of a provider deleted at `deletedAt`, read from its row as the delete removes
    /// it: nil when its template has no revocation request, or breaks a rule of today's (such
    /// a provider never served, and its tokens are not sent through it now).
    package init?(retiring record: ProviderRecord, at deletedAt: Date) {
        guard let template = try? record.template(), let destination = Self.destination(retiring: record.id, template)
        else { return nil }
        self.init(deletedAt: deletedAt, destination: destination)
    }

    /// Where the grants of provider `id` with `template` are revoked when it is deleted: nil
    /// when the template has no revocation request, or breaks a rule of today's. The dashboard
    /// asks it too, to say what a delete will do.
    package static func destination(retiring id: String, _ template: OAuth2Config) -> String? {
        guard (try? ProviderTemplateValidator.validateStored(id: id, template)) != nil else { return nil }
        return template.revocationDestination
    }

    /// Creates an order.
    package init(deletedAt: Date, destination: String) {
        self.deletedAt = deletedAt
        self.destination = destination
    }
}
