import Foundation

/// Where a refresh sweep's batch ended, in the order the sweep reads candidates (soonest expiry
/// first, then id): the next batch starts after it.
package struct SweepPosition: Sendable, Equatable {
    /// The last candidate's token expiry.
    package var expiresAt: Date
    /// The last candidate's id.
    package var id: String

    /// The position of `connection`.
    package init(after connection: Connection) {
        expiresAt = connection.expiresAt
        id = connection.id
    }
}
