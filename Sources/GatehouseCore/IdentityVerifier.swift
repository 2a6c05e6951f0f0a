/// The app's own sign-in (an OpenID Provider), asked after the provider's callback who is
/// finishing the consent. The seam between the broker and the OIDC client.
package protocol IdentityVerifier: Sendable {
    /// Where to send the browser to sign in at the app's OpenID Provider.
    func signInURL(state: String, nonce: String, codeChallenge: String) async throws -> String
    /// Redeems the code the OpenID Provider sent back, validates its ID token (signature,
    /// issuer, audience, expiry, nonce) and answers the configured claim: who is signed in.
    func signedInUser(code: String, codeVerifier: String, nonce: String) async throws -> String
}

/// The app's sign-in could not say who is signed in: the OpenID Provider could not be reached,
/// refused the code, or sent an ID token that does not pass the checks.
package struct IdentityVerificationError: Error, CustomStringConvertible {
    /// What went wrong, for the log (never shown to the person).
    package let message: String
    /// The message.
    package var description: String { message }

    /// Creates an error.
    package init(_ message: String) {
        self.message = message
    }
}
