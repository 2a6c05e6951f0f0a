import Foundation

/// A stored API key: only its hash is kept.
package struct APIKeyRecord: Sendable, Equatable {
    /// SHA-256 of the key, hex.
    package var hash: String
    /// A name for people.
    package var name: String
    /// What the key may do.
    package var role: APIKeyRole
    /// When it was made.
    package var createdAt: Date

    /// Creates a record.
    package init(hash: String, name: String, role: APIKeyRole, createdAt: Date) {
        self.hash = hash
        self.name = name
        self.role = role
        self.createdAt = createdAt
    }

    /// The public id of a key: the first 12 hex digits of its hash.
    package var id: String { String(hash.prefix(12)) }

    /// The public id of `key`, as its record has it.
    package static func id(of key: String) -> String { String(SecretHash.hex(key).prefix(12)) }
}
