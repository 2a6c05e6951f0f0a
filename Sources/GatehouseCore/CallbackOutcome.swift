/// What the browser gets at the end of a provider callback or a continuation.
package enum CallbackOutcome: Sendable, Equatable {
    /// A 303 to this URL (the verifier, or the app's `next_uri`).
    case redirect(String)
    /// The success page.
    case success(providerID: String)
    /// A page saying the flow still waits for verification.
    case waiting
    /// An error page with this status and message.
    case failure(status: Int, message: String)
}
