import Foundation

// Where a person whose sign-in failed goes back to: the app's page the flow was started with.
extension AuthBroker {
    /// Where a sign-in page points someone back to the app: the `next_uri` the app gave the flow
    /// `link` names. A callback's `state`, the app's sign-in return's `state`, or a verification
    /// id; nil when it names no flow, or one without a `next_uri`. For a failure page, not a
    /// redirect: the person chooses. Read only for values of the shape Gatehouse makes.
    package func appAddress(for link: SignInLink) async -> String? {
        let flow: Flow?
        switch link {
        case .callbackState(let state):
            guard SecureRandom.isToken(state) else { return nil }
            flow = try? await store.flow(stateHash: SecretHash.hex(state))
        case .verificationState(let state):
            guard SecureRandom.isToken(state) else { return nil }
            flow = try? await store.flow(verificationHash: SecretHash.hex(state))
        case .verificationID(let id):
            guard Flow.mayBeVerificationID(id) else { return nil }
            flow = try? await store.flow(verificationHash: SecretHash.hex(id))
        }
        // Checked again: the allowed origins may have changed since the flow was started.
        guard let next = flow?.nextURI, settings.isAllowedRedirect(next) else { return nil }
        return next
    }
}

/// What a sign-in page's address carries that names its flow.
package enum SignInLink: Sendable {
    /// The provider's callback: its `state`.
    case callbackState(String)
    /// The app's OpenID Provider's return: its `state`.
    case verificationState(String)
    /// The continuation page: the verification id in its path.
    case verificationID(String)
}
