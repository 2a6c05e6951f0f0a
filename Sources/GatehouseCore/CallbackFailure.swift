/// Why a callback or a continuation did not end in success. Core says why; the server alone
/// turns a reason into an HTTP status.
package enum CallbackFailure: Sendable, Equatable {
    /// The link carries no usable `state`.
    case incompleteLink
    /// The state is unknown, used, or its flow expired.
    case expiredOrUsed
    /// The callback came to another provider's path.
    case wrongProvider
    /// The callback's `iss` named another authorization server than the flow's (RFC 9207).
    case issuerMismatch
    /// The user declined at the provider (`error=access_denied`).
    case declined
    /// The provider's redirect carried another error (`error=...`).
    case providerReportedError
    /// The provider sent no code.
    case noCode
    /// The provider was removed since the flow started.
    case providerRemoved
    /// The provider refused the code exchange.
    case exchangeRefused
    /// The provider could not be reached.
    case providerUnavailable
    /// The flow changed while the callback was finishing it.
    case changedMeanwhile
    /// No user verifier is configured.
    case noVerifier
    /// Something failed inside Gatehouse.
    case internalError
    /// Gatehouse's store could not be used just then (`store_unavailable`); `reloadable` when the
    /// link was not spent, so reloading it later may finish the sign-in.
    case storeUnavailable(reloadable: Bool)
    /// No flow has this verification id.
    case unknownFlow
    /// The flow ended without completing.
    case notCompleted
    /// The app's verifier said another of its users finished this sign-in: the grant was discarded.
    case wrongUser
    /// The app's sign-in (OIDC) did not confirm who is finishing the consent.
    case appSignInFailed
}

extension CallbackFailure {
    /// The page for an error that ended a callback early: a provider that could not be reached,
    /// a store that could not be used, or else an internal error. `reloadable`: nothing single-use
    /// was spent yet, so the same link may work once the store is back.
    package init(_ code: GatehouseError.Code, reloadable: Bool) {
        switch code {
        case .providerUnavailable: self = .providerUnavailable
        case .storeUnavailable: self = .storeUnavailable(reloadable: reloadable)
        default: self = .internalError
        }
    }
}
