import Foundation

/// The revocations of one provider's deleted grants still waiting (`PendingRevocation`), as the
/// store has them: what the `gatehouse_revocations_pending` gauges show.
package struct RevocationBacklog: Sendable, Equatable {
    /// How many are waiting.
    package var count: Int
    /// When the oldest of them was deleted.
    package var oldest: Date

    /// Creates a backlog.
    package init(count: Int, oldest: Date) {
        self.count = count
        self.oldest = oldest
    }
}
