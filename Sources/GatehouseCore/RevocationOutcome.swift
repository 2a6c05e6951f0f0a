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
    /// The user connected to the provider again since the delete: the old grant is left alone,
    /// since at some providers (Google) revoking it would end the new grant too. Not tried again.
    case superseded

    /// Why the revocation was left, for the log line of `superseded`.
    package static let supersededReason =
        "the user connected again since the delete; revoking the old grant now could end the new one at some providers"

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
