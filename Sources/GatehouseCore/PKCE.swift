import Crypto

/// Proof Key for Code Exchange (RFC 7636), S256 only.
package enum PKCE {
    /// A new code verifier: 32 random bytes, base64url (43 characters).
    package static func makeVerifier() -> String {
        SecureRandom.token(bytes: 32)
    }

    /// The S256 challenge of a verifier: BASE64URL(SHA256(ASCII(verifier))).
    package static func challenge(for verifier: String) -> String {
        Base64URL.encode(Array(SHA256.hash(data: Array(verifier.utf8))))
    }
}
