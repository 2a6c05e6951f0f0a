import Foundation

/// What one try at a pending revocation came to.
package enum RevocationOutcome: Sendable, Equatable {
    /// The provider revoked the grant.
    case revoked
    /// The provider refused for good (it does not know the token, or the request), or no longer
    /// has a revocation request: not tried again.
    case refused(String)
    /// A failure that may pass: tried again later.
    case postponed(String)
    /// A failure that may pass, but the grant was deleted longer ago than
    /// `BrokerSettings.revocationGiveUp`: not tried again.
    case gaveUp(String)
    /// The user holds another grant of the same client at the provider (connected again since
    /// the delete, or under another provider id): the deleted one is left alone, since at some
    /// providers (Google) revoking it would end the other too. Not tried again.
    case superseded

    /// Why the revocation was left, for the log line of `superseded`.
    package static let supersededReason =
        "the user holds another grant of the same client at the provider (connected again, or under another provider id); revoking this one could end it at some providers"

    /// The metric's label (`gatehouse_revocations_total{outcome}`).
    package var label: String {
        switch self {
        case .revoked: "revoked"
        case .refused: "refused"
        case .postponed: "postponed"
        case .gaveUp: "gave_up"
        case .superseded: "superseded"
        }
    }
}
