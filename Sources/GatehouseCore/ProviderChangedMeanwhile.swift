import Foundation

/// A provider's row changed after the change being written was made from it (another request,
/// on any replica): written, the change would undo that one's.
package struct ProviderChangedMeanwhile: Error, Sendable {
    /// The provider.
    package let id: String

    /// Creates the error.
    package init(id: String) {
        self.id = id
    }

    /// Whether a stored `updated_at` (Unix seconds) is the one a change was made from. Stores
    /// keep it as a double, which a `Date` may not give back to the last bit.
    package static func same(_ stored: Double?, _ basedOn: Date) -> Bool {
        guard let stored else { return false }
        return abs(stored - basedOn.timeIntervalSince1970) < 0.000_001
    }
}
