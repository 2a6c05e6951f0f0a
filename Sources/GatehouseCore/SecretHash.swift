import Crypto
import Foundation

/// SHA-256 as lower-case hex: how secrets that are only compared (state, API keys) are stored.
package enum SecretHash {
    /// The hex digest of a secret's UTF-8 bytes.
    package static func hex(_ secret: String) -> String {
        var secret = secret
        let digest = secret.withUTF8 { SHA256.hash(data: UnsafeRawBufferPointer($0)) }
        // On every API call (the key cache is keyed by it): one pass, no formatter.
        return String(unsafeUninitializedCapacity: SHA256.byteCount * 2) { out in
            var index = 0
            for byte in digest {
                out[index] = digits[Int(byte >> 4)]
                out[index + 1] = digits[Int(byte & 0x0f)]
                index += 2
            }
            return index
        }
    }

    private static let digits = Array("0123456789abcdef".utf8)
}
