import Foundation

/// A deleted provider, kept while revocations of its users' grants wait: its template and sealed
/// client secret as they were at the delete, so that those revocations go where, and with the
/// credentials, the grants were issued, whatever later takes the provider's id. Dropped once no
/// pending revocation names it.
package struct RetiredProvider: Sendable, Equatable {
    /// Its key, which the pending revocations name (`PendingRevocation.retiredProvider`).
    package var key: String
    /// The provider's row at the delete.
    package var record: ProviderRecord
    /// When it was deleted.
    package var retiredAt: Date

    /// Creates a retired provider.
    package init(key: String, record: ProviderRecord, retiredAt: Date) {
        self.key = key
        self.record = record
        self.retiredAt = retiredAt
    }

    /// A new key.
    package static func newKey() -> String {
        SecureRandom.identifier(prefix: "rp_")
    }
}
