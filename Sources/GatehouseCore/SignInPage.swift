import Foundation

/// A sign-in page's outcome, with where its person may go back to the app.
package struct SignInPage: Sendable, Equatable {
    /// What the page says, or where it redirects.
    package var outcome: CallbackOutcome
    /// Beside a failure: the `next_uri` the app started the flow with, when the flow was found
    /// and the address is still allowed. The person chooses; a success redirects there itself.
    package var back: String?
}

// Where a person whose sign-in failed goes back to: the app's page the flow was started with,
// taken from the flow the page read anyway (no read of its own).
extension AuthBroker {
    /// The page for `outcome`, whose flow (if one was found) had `next` as its `next_uri`.
    func page(_ outcome: CallbackOutcome, next: String?) -> SignInPage {
        // Checked again: the allowed origins may have changed since the flow was started.
        guard case .failure = outcome, let next, settings.isAllowedRedirect(next) else {
            return SignInPage(outcome: outcome, back: nil)
        }
        return SignInPage(outcome: outcome, back: next)
    }
}
