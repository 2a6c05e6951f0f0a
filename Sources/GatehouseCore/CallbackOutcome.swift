/// What the browser gets at the end of a provider callback or a continuation.
package enum CallbackOutcome: Sendable, Equatable {
    /// A 303 to this URL (the verifier, or the app's `next_uri`).
    case redirect(String)
    /// The success page.
    case success(providerID: String)
    /// A page saying the flow still waits for verification.
    case waiting
    /// A page saying the flow's first callback is still finishing it, which reloads itself.
    case finishing
    /// An error page: why (the server picks the status and the words for the person from it),
    /// and what went wrong in detail, for the log only: it may hold a provider's or a library's
    /// own error text, which a person should not have to read.
    case failure(CallbackFailure, detail: String)
}
