import GatehouseCore

// What the person in the browser reads when a sign-in does not end in success. It speaks to
// them, not to the operator: what happened and what to do. What went wrong in detail (a
// provider's error, a library's) goes to the log with the request id, which the page shows as
// a reference the person can quote.
extension CallbackFailure {
    /// The page's heading.
    var title: String {
        switch self {
        case .declined: "Access not granted"
        case .expiredOrUsed, .unknownFlow: "This link has expired"
        case .incompleteLink, .wrongProvider, .issuerMismatch: "This link doesn't work"
        case .wrongUser: "Signed in as someone else"
        case .appSignInFailed: "We couldn't confirm who you are"
        case .providerReportedError, .noCode, .exchangeRefused, .providerUnavailable:
            "The sign-in didn't go through"
        case .providerRemoved: "This connection is no longer offered"
        case .changedMeanwhile, .notCompleted: "The sign-in didn't finish"
        case .noVerifier, .internalError: "Something went wrong on our side"
        case .storeUnavailable: "We couldn't finish just now"
        }
    }

    /// What happened, and what to do next.
    var explanation: String {
        switch self {
        case .declined:
            "You chose not to give access, so nothing was connected. You can close this window; the app will ask again if it needs access."
        case .expiredOrUsed, .unknownFlow:
            "Sign-in links work once and only for a while. Go back to the app and start again."
        case .incompleteLink, .wrongProvider, .issuerMismatch:
            "The link that brought you here is incomplete or belongs to another sign-in. Go back to the app and start again."
        case .wrongUser:
            "You finished this sign-in while signed in to the app as a different person than the one who started it, so nothing was connected. Sign in to the app as yourself and start again."
        case .appSignInFailed:
            "Signing in to the app did not finish, so nothing was connected. Go back to the app, sign in, and start again."
        case .providerReportedError, .noCode, .exchangeRefused, .providerUnavailable:
            "The service you were signing in to did not complete the sign-in. Go back to the app and try again; if it keeps happening, contact the app's support."
        case .providerRemoved:
            "The app no longer connects to this service. Go back to the app."
        case .changedMeanwhile, .notCompleted:
            "The sign-in ended before it was finished. Go back to the app and start again."
        case .noVerifier, .internalError:
            "We could not finish connecting your account. Go back to the app and try again; if it keeps happening, contact the app's support."
        case .storeUnavailable(reloadable: true):
            "We could not reach our records for a moment. Reload this page in a little while: the link from the service you signed in to lasts only minutes, at some services one. If it then does not say you are connected, go back to the app and start again."
        case .storeUnavailable(reloadable: false):
            "We could not reach our records, so the sign-in did not finish. Go back to the app and start again in a little while."
        }
    }

    /// Whether the person's own action explains it (logged at `notice`), rather than a provider
    /// or Gatehouse failing (logged at `warning`).
    var isThePersonsDoing: Bool {
        switch self {
        case .declined, .expiredOrUsed, .unknownFlow, .incompleteLink, .wrongProvider, .wrongUser, .notCompleted: true
        default: false
        }
    }
}
