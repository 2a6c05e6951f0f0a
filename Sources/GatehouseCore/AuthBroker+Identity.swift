import Crypto
import Foundation
import GatehouseWire
import Logging

// User verification through the app's own sign-in (OIDC): after the provider's callback the
// browser goes to the app's OpenID Provider, and the flow completes only when the ID token it
// brings back names the user who started the flow.
extension AuthBroker {
    /// Where `GET /v1/oauth/user_verification` is served: the OpenID Provider's redirect URI.
    package static let identityCallbackPath = "/v1/oauth/user_verification"

    /// Parks the grant on the flow and sends the browser to the app's OpenID Provider.
    func askIdentity(
        _ identity: any IdentityVerifier, flow: Flow, tokens: TokenSet, userInfo: [String: JSONValue]?
    ) async throws -> CallbackOutcome {
        // A fresh state for this leg; the PKCE verifier takes the place of the provider's, used.
        let state = SecureRandom.token(bytes: 32)
        let verifier = PKCE.makeVerifier()
        let url: String
        do {
            url = try await identity.signInURL(
                state: state, nonce: Self.nonce(for: state), codeChallenge: PKCE.challenge(for: verifier))
        } catch {
            let reason = "the app's sign-in is unavailable: \(error)"
            _ = try await fail(flow, .userVerificationFailed, reason: reason)
            return .failure(.appSignInFailed, detail: reason)
        }
        guard try await park(tokens, userInfo: userInfo, on: flow, verificationID: state, pkceVerifier: verifier) else {
            return .failure(.changedMeanwhile, detail: "the flow changed while the callback was finishing it")
        }
        return .redirect(url)
    }

    /// `GET /v1/oauth/user_verification`: the OpenID Provider's redirect back. Completes the
    /// flow when the signed-in user is the flow's user; otherwise discards the grant.
    package func identityCallback(query: [String: String]) async -> CallbackOutcome {
        await identityCallbackPage(query: query).outcome
    }

    /// `identityCallback(query:)`, with the way back to the app beside a failure.
    package func identityCallbackPage(query: [String: String]) async -> SignInPage {
        var claimed = false
        var next: String?
        do {
            return page(try await handleIdentityCallback(query: query, claimed: &claimed, next: &next), next: next)
        } catch let error as GatehouseError where error.code != .internalError {
            logger.warning("user verification failed", metadata: ["error": "\(error.code.rawValue)"])
            return page(.failure(CallbackFailure(error.code, reloadable: !claimed), detail: error.message), next: next)
        } catch {
            logger.error("user verification failed", metadata: ["error": "\(error)"])
            return page(.failure(.internalError, detail: String(reflecting: type(of: error))), next: next)
        }
    }

    /// `claimed` is set once this arrival has claimed the leg: from then on a reload cannot finish
    /// it; `next`, once the flow is read, to its `next_uri`.
    private func handleIdentityCallback(query: [String: String], claimed: inout Bool, next: inout String?) async throws
        -> CallbackOutcome
    {
        guard let identity else {
            return .failure(.incompleteLink, detail: "user verification through OIDC is not configured")
        }
        guard let state = query["state"], !state.isEmpty, state.count <= 512 else {
            return .failure(.incompleteLink, detail: "the OpenID Provider's redirect carries no usable state")
        }
        // Anyone can send this request: a state that cannot be one of ours is not looked up.
        guard SecureRandom.isToken(state) else {
            return .failure(.expiredOrUsed, detail: "the verification state is unknown, used, or its flow expired")
        }
        let found = try await store.flow(verificationHash: SecretHash.hex(state))
        next = found?.nextURI
        guard let flow = found, flow.status == .pending, let sealedTokens = flow.sealedTokens,
            let sealedVerifier = flow.sealedVerifier, flow.expiresAt > now()
        else {
            // A flow that failed while the person was signing in to the app (its provider's
            // template changed), or the same redirect again (a reload: another arrival claimed
            // the leg, or finished it), says how it ended rather than calling the link expired.
            if let found,
                found.status == .completed || (found.sealedTokens != nil && found.sealedVerifier == nil)
                    || (found.status == .failed && found.failureReason == Flow.providerChangedReason)
            {
                return try await ending(ofClaimed: found.id)
            }
            return .failure(.expiredOrUsed, detail: "the verification state is unknown, used, or its flow expired")
        }
        if let error = query["error"] {
            let reason = "the app's sign-in answered \(Self.printable(error))"
            _ = try await fail(flow, .userVerificationFailed, reason: reason)
            return .failure(.appSignInFailed, detail: reason)
        }
        guard let code = query["code"], !code.isEmpty, code.utf8.count <= 4096 else {
            _ = try await fail(flow, .userVerificationFailed, reason: "the app's sign-in sent no code")
            return .failure(.appSignInFailed, detail: "the app's sign-in sent no code")
        }
        let verifier = String(
            decoding: try cipher.open(sealedVerifier, context: SealedField.context(.flowVerifier, rowID: flow.id)),
            as: UTF8.self)
        // One arrival redeems the code, holding the leg's PKCE verifier: the same redirect sent
        // again meanwhile (a reload while the page is slow) finds none and changes nothing,
        // rather than failing the flow when the OpenID Provider refuses the used code.
        var claim = flow
        claim.sealedVerifier = nil
        // Set before the write: a claim whose answer was lost may have been made.
        claimed = true
        guard let flow = try await store.updateFlow(claim, expectedVersion: flow.version) else {
            return try await ending(ofClaimed: flow.id)
        }
        let user: String
        do {
            user = try await identity.signedInUser(code: code, codeVerifier: verifier, nonce: Self.nonce(for: state))
        } catch {
            let reason = "the app's sign-in did not confirm the user: \(error)"
            _ = try await fail(flow, .userVerificationFailed, reason: reason)
            return .failure(.appSignInFailed, detail: reason)
        }
        // Bytes, not `String ==`: a canonically equivalent spelling is another user id.
        guard ScopeSet.sameBytes(user, flow.userID) else {
            // Someone other than the user who started the flow finished it: never attach it.
            _ = try await fail(flow, .userMismatch, reason: Flow.userMismatchReason)
            return .failure(.wrongUser, detail: Self.wrongUserDetail)
        }
        do {
            return finishOutcome(try await completeParked(flow, sealedTokens: sealedTokens))
        } catch let error as GatehouseError where error.code == .flowState {
            // Failed meanwhile (its provider's template changed): the person starts again.
            return .failure(.changedMeanwhile, detail: error.message)
        }
    }

    /// How a verification leg that another arrival of the same redirect claimed ends, as that
    /// arrival's page says it: waits up to 5 s for it to finish (a reload while the page is
    /// slow), then calls the link used.
    private func ending(ofClaimed flowID: String) async throws -> CallbackOutcome {
        for _ in 0..<50 {
            guard let flow = try await store.flow(id: flowID) else { break }
            switch flow.status {
            case .completed: return finishOutcome(flow)
            case .failed where flow.failureReason == Flow.providerChangedReason:
                return .failure(.notCompleted, detail: Flow.providerChangedReason)
            case .failed where flow.failureReason == Flow.userMismatchReason:
                return .failure(.wrongUser, detail: Self.wrongUserDetail)
            case .failed: return .failure(.appSignInFailed, detail: flow.failureReason ?? "the app's sign-in failed")
            case .pending: try await Task.sleep(for: .milliseconds(100))
            }
        }
        return .failure(.expiredOrUsed, detail: "the verification state was used by another request, which did not finish")
    }

    /// What the log says of a leg whose ID token named another user than the flow's.
    static let wrongUserDetail = "the app's sign-in names another user than the flow's"

    /// The OIDC nonce of a verification leg: derived from its state, which only this server and
    /// the person's browser know, so nothing more is stored and an ID token minted for another
    /// leg does not fit.
    static func nonce(for state: String) -> String {
        Base64URL.encode(Array(SHA256.hash(data: Array("gatehouse-oidc-nonce:\(state)".utf8))))
    }
}
