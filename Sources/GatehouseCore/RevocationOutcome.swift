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

    /// The metric's label (`gatehouse_revocations_total{outcome}`).
    package var label: String {
        switch self {
        case .revoked: "revoked"
        case .refused: "refused"
        case .postponed: "postponed"
        case .gaveUp: "gave_up"
        }
    }
}
