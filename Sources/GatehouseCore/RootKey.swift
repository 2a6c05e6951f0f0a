import Crypto
import Foundation

/// A 256-bit root key that encrypts data at rest, known by an id stored beside every ciphertext.
package struct RootKey: Sendable {
    /// The key's id, written into each ciphertext it makes.
    package let id: String
    private let material: [UInt8]

    var key: SymmetricKey { SymmetricKey(data: material) }

    /// Creates a root key from its id and 32 bytes of key material.
    package init(id: String, bytes: [UInt8]) throws {
        guard bytes.count == 32 else {
            throw GatehouseError.invalid("root key '\(id)' must be 32 bytes (base64 of 32 random bytes), not \(bytes.count)")
        }
        guard !id.isEmpty, id.utf8.count < 256, id.allSatisfy({ $0.isLetter || $0.isNumber || "-_.".contains($0) }) else {
            throw GatehouseError.invalid("root key id '\(id)' must be 1-255 letters, digits, '-', '_' or '.'")
        }
        self.id = id
        self.material = bytes
    }

    /// Creates a root key from base64 (or base64url) text.
    package init(id: String, base64: String) throws {
        guard let bytes = Base64URL.decode(base64.trimmingCharacters(in: .whitespacesAndNewlines)) else {
            throw GatehouseError.invalid("root key '\(id)' is not valid base64")
        }
        try self.init(id: id, bytes: bytes)
    }

    /// A new random key; throws for an id `init(id:bytes:)` refuses.
    package static func generate(id: String) throws -> RootKey {
        try RootKey(id: id, bytes: SecureRandom.bytes(32))
    }

    /// The key material as base64url, for the key file.
    package var base64: String {
        Base64URL.encode(material)
    }
}

// Printed by its id only, never its material.
extension RootKey: CustomStringConvertible, CustomDebugStringConvertible {
    /// The id, the material redacted.
    package var description: String { "RootKey(id: \(id), <redacted>)" }
    /// As `description`.
    package var debugDescription: String { description }
}
