import Crypto
import Foundation

/// Encrypts secrets at rest with AES-256-GCM under a set of root keys.
///
/// The default key encrypts; every key decrypts, so keys can rotate. Each ciphertext carries its
/// key id, and the associated data binds it to its row (`connection:<id>`), so a blob copied to
/// another row fails to decrypt.
package struct TokenCipher: Sendable {
    private static let formatVersion: UInt8 = 1
    private let keys: [String: RootKey]
    /// The key that encrypts new data.
    package let defaultKey: RootKey

    /// Creates a cipher; `defaultKeyID` must name one of `keys`.
    package init(keys: [RootKey], defaultKeyID: String) throws {
        var byID: [String: RootKey] = [:]
        for key in keys {
            guard byID.updateValue(key, forKey: key.id) == nil else {
                throw GatehouseError.invalid("root key id '\(key.id)' is listed twice")
            }
        }
        guard let defaultKey = byID[defaultKeyID] else {
            throw GatehouseError.invalid("the default root key '\(defaultKeyID)' is not among the root keys")
        }
        self.keys = byID
        self.defaultKey = defaultKey
    }

    /// The ids of the keys it can open with, sorted.
    package var keyIDs: [String] { keys.keys.sorted() }

    /// A key for one purpose (such as signing dashboard sessions), derived from the default root
    /// key with HKDF-SHA256: the same on every replica, and new after a root key rotation.
    package func derivedKey(purpose: String) -> SymmetricKey {
        HKDF<SHA256>.deriveKey(
            inputKeyMaterial: defaultKey.key, info: Array("gatehouse:\(purpose)".utf8), outputByteCount: 32)
    }

    /// Encrypts `plaintext` for the row named by `context`.
    package func seal(_ plaintext: [UInt8], context: String) throws -> [UInt8] {
        let box = try AES.GCM.seal(plaintext, using: defaultKey.key, authenticating: Array(context.utf8))
        guard let combined = box.combined else {
            throw GatehouseError(.internalError, "encryption failed")
        }
        let keyID = Array(defaultKey.id.utf8)
        return [Self.formatVersion, UInt8(keyID.count)] + keyID + Array(combined)
    }

    /// Decrypts a blob made by `seal` for the same `context`.
    package func open(_ blob: [UInt8], context: String) throws -> [UInt8] {
        guard blob.count > 2, blob[0] == Self.formatVersion else {
            throw GatehouseError(.internalError, "stored secret has an unknown format")
        }
        let idLength = Int(blob[1])
        // 12 bytes of nonce and 16 of tag: an empty plaintext is exactly that long.
        guard blob.count >= 2 + idLength + 28 else {
            throw GatehouseError(.internalError, "stored secret is truncated")
        }
        let keyID = String(decoding: blob[2..<(2 + idLength)], as: UTF8.self)
        guard let key = keys[keyID] else {
            throw GatehouseError(.internalError, "stored secret was encrypted under root key '\(keyID)', which is not configured")
        }
        do {
            let box = try AES.GCM.SealedBox(combined: blob[(2 + idLength)...])
            return Array(try AES.GCM.open(box, using: key.key, authenticating: Array(context.utf8)))
        } catch {
            throw GatehouseError(.internalError, "stored secret failed to decrypt (wrong key or row)")
        }
    }

    /// The id of the key a blob was encrypted under, or nil when the blob is malformed.
    package static func keyID(of blob: [UInt8]) -> String? {
        guard blob.count > 2, blob[0] == formatVersion, blob.count > 2 + Int(blob[1]) else { return nil }
        return String(decoding: blob[2..<(2 + Int(blob[1]))], as: UTF8.self)
    }

    /// Encrypts a `Codable` value as JSON.
    package func seal<Value: Encodable>(json value: Value, context: String) throws -> [UInt8] {
        try seal(Array(JSONEncoder().encode(value)), context: context)
    }

    /// Decrypts a `Codable` value sealed with `seal(json:context:)`.
    package func open<Value: Decodable>(_ type: Value.Type, from blob: [UInt8], context: String) throws -> Value {
        try JSONDecoder().decode(type, from: Data(open(blob, context: context)))
    }

    /// Decrypts a token set: read by hand in the plain shape `JSONEncoder` writes (the hot path
    /// opens one per request), decoded otherwise.
    package func open(_ type: TokenSet.Type, from blob: [UInt8], context: String) throws -> TokenSet {
        let json = try open(blob, context: context)
        return try TokenSet.plain(json) ?? JSONDecoder().decode(type, from: Data(json))
    }
}
