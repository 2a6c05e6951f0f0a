import Crypto
import Foundation

/// SHA-256 as lower-case hex: how secrets that are only compared (state, API keys) are stored.
package enum SecretHash {
    /// The hex digest of a secret's UTF-8 bytes.
    package static func hex(_ secret: String) -> String {
        SHA256.hash(data: Array(secret.utf8)).map { String(format: "%02x", $0) }.joined()
    }
}
