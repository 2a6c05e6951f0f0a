/// Why a flow failed, as a metric label: a fixed set, where the flow's stored reason is free text.
package enum FlowFailure: String, Sendable, CaseIterable {
    /// The callback came to another provider's path.
    case wrongProvider = "wrong_provider"
    /// The callback's `iss` named another authorization server (RFC 9207), or was missing.
    case issuerMismatch = "issuer_mismatch"
    /// The user said no at the provider.
    case denied
    /// The provider's redirect carried another error.
    case providerError = "provider_error"
    /// The redirect carried no code.
    case noCode = "no_code"
    /// The provider was removed while the flow was open.
    case providerRemoved = "provider_removed"
    /// The provider's template changed while the flow was open (`ProviderReplacement`).
    case providerChanged = "provider_changed"
    /// The token endpoint refused the code or could not be reached.
    case exchangeFailed = "exchange_failed"
    /// No user verifier is configured and skipping is not allowed.
    case noVerifier = "no_verifier"
    /// The user who finished is not the user who started.
    case userMismatch = "user_mismatch"
    /// The app's sign-in (OIDC) did not say who finished: an error, or an ID token that failed a check.
    case userVerificationFailed = "user_verification_failed"
    /// Nobody finished it in time.
    case expired
    /// The callback took the state and never finished: the server stopped or failed during it.
    case callbackInterrupted = "callback_interrupted"
}
