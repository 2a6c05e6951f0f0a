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
    /// When a request last came with it, to within `APIKeyRecord.useRecordedEvery`; nil when
    /// none has come since Gatehouse began recording uses.
    package var lastUsedAt: Date?

    /// How often a key's use is written, at most: once per key per this many seconds across
    /// the replicas (each reads the time back with the key), not once per request.
    package static let useRecordedEvery: TimeInterval = 60

    /// Creates a record.
    package init(hash: String, name: String, role: APIKeyRole, createdAt: Date, lastUsedAt: Date? = nil) {
        self.hash = hash
        self.name = name
        self.role = role
        self.createdAt = createdAt
        self.lastUsedAt = lastUsedAt
    }

    /// Whether a use at `now` is to be written: none recorded, or the last one
    /// `useRecordedEvery` ago or more.
    package func useIsDue(at now: Date) -> Bool {
        lastUsedAt.map { now.timeIntervalSince($0) >= Self.useRecordedEvery } ?? true
    }

    /// The public id of a key: the first 12 hex digits of its hash.
    package var id: String { String(hash.prefix(12)) }

    /// The public id of `key`, as its record has it.
    package static func id(of key: String) -> String { String(SecretHash.hex(key).prefix(12)) }
}
