import Foundation

/// A stored tool secret: the value only encrypted (AAD `secret:<key>`).
package struct SecretRecord: Sendable, Equatable {
    /// The record id (`sec_...`).
    package var id: String
    /// The secret's key.
    package var key: String
    /// The value, encrypted.
    package var sealedValue: [UInt8]
    /// A description.
    package var description: String?
    /// The value's last characters, for the API's hint.
    package var hint: String?
    /// Creation time.
    package var createdAt: Date
    /// Time of the last change.
    package var updatedAt: Date

    /// Creates a record.
    package init(
        id: String, key: String, sealedValue: [UInt8], description: String?, hint: String?, createdAt: Date, updatedAt: Date
    ) {
        self.id = id
        self.key = key
        self.sealedValue = sealedValue
        self.description = description
        self.hint = hint
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }
}
