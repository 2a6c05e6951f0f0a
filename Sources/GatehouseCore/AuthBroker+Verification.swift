import Foundation
import GatehouseWire
import Logging

// The app's verifier confirms the user; the continuation page only reads.
extension AuthBroker {
    /// `POST /v1/auth/confirm_user`: the app's verifier says who is signed in. On a match the
    /// grant is attached and the flow completes; on a mismatch the grant is discarded.
    package func confirmUser(_ request: ConfirmUserRequest) async throws -> ConfirmUserResponse {
        guard identity == nil else {
            // The state a verification leg carries is no flow_id: only the ID token decides.
            throw GatehouseError(
                .flowState, "user verification goes through the app's OpenID Provider here; confirm_user is not used")
        }
        guard !request.flowID.isEmpty, !request.userID.isEmpty else {
            throw GatehouseError.invalid("flow_id and user_id must not be empty")
        }
        guard !ScopeSet.hasControlCharacter(request.userID), !ScopeSet.hasControlCharacter(request.flowID) else {
            throw GatehouseError.invalid("flow_id and user_id must not contain control characters")
        }
        guard let flow = try await store.flow(verificationHash: SecretHash.hex(request.flowID)) else {
            throw GatehouseError.notFound("flow '\(Self.printable(request.flowID))' not found")
        }
        let nextURI = "\(settings.publicURL)/v1/oauth/complete/\(FormEncoding.escape(request.flowID))"
        // Bytes, not `String ==`: a canonically equivalent spelling is another user id.
        let sameUser = ScopeSet.sameBytes(flow.userID, request.userID)
        if flow.status == .completed, sameUser {
            // Idempotent for a verifier that retries.
            return ConfirmUserResponse(authID: flow.id, nextURI: nextURI)
        }
        guard flow.status == .pending, let sealed = flow.sealedTokens, flow.expiresAt > now() else {
            if flow.status == .failed, let reason = flow.failureReason {
                throw GatehouseError(.flowState, "the flow is not awaiting verification: it failed (\(reason))")
            }
            throw GatehouseError(.flowState, "the flow is not awaiting verification (it completed, failed or expired)")
        }
        guard sameUser else {
            // Someone other than the user who started the flow finished it: never attach it.
            _ = try await fail(flow, .userMismatch, reason: Flow.userMismatchReason)
            throw GatehouseError(
                .userMismatch,
                "An error occurred during verification: the signed-in user is not the user who started this authorization")
        }
        do {
            _ = try await completeParked(flow, sealedTokens: sealed)
        } catch let error as GatehouseError where error.code == .flowState {
            // A verifier that retried while its first call was completing the flow: that call
            // completed it for this user, and this one answers as it did.
            guard let current = try await store.flow(id: flow.id), current.status == .completed else { throw error }
        }
        return ConfirmUserResponse(authID: flow.id, nextURI: nextURI)
    }

    /// Parks a grant on its flow until the user is verified: the tokens sealed, the user info,
    /// and the hash of the id the verifier brings back (with OIDC, also that leg's PKCE
    /// verifier). False when the flow changed meanwhile.
    func park(
        _ tokens: TokenSet, userInfo: [String: JSONValue]?, on flow: Flow, verificationID: String,
        pkceVerifier: String? = nil
    ) async throws -> Bool {
        var parked = flow
        parked.sealedTokens = try cipher.seal(json: tokens, context: SealedField.context(.flowTokens, rowID: flow.id))
        if let pkceVerifier {
            parked.sealedVerifier = try cipher.seal(
                Array(pkceVerifier.utf8), context: SealedField.context(.flowVerifier, rowID: flow.id))
        }
        parked.userInfo = userInfo
        parked.verificationHash = SecretHash.hex(verificationID)
        return try await grantWrite(flowID: flow.id).run {
            if try await store.updateFlow(parked, expectedVersion: flow.version) != nil { return true }
            // Or a try whose answer was lost wrote it (the seal's nonce is random: these bytes are its).
            return try await store.flow(id: flow.id)?.sealedTokens == parked.sealedTokens
        }
    }

    /// Attaches a grant parked on its flow, once its user is verified.
    func completeParked(_ flow: Flow, sealedTokens: [UInt8]) async throws -> Flow {
        let tokens = try cipher.open(
            TokenSet.self, from: sealedTokens, context: SealedField.context(.flowTokens, rowID: flow.id))
        return try await complete(flow, tokens: tokens, userInfo: flow.userInfo)
    }

    /// `GET /v1/oauth/complete/{flow_id}`: where `confirm_user`'s `next_uri` leads; only reads.
    package func continuation(verificationID: String) async -> CallbackOutcome {
        await continuationPage(verificationID: verificationID).outcome
    }

    /// `continuation(verificationID:)`, with the way back to the app beside a failure.
    package func continuationPage(verificationID: String) async -> SignInPage {
        var next: String?
        do {
            return page(try await continuationOutcome(verificationID: verificationID, next: &next), next: next)
        } catch let error as GatehouseError {
            return page(
                .failure(CallbackFailure(error.code, reloadable: true), detail: "continuation lookup failed: \(error.message)"),
                next: next)
        } catch {
            logger.error("continuation lookup failed", metadata: ["error": "\(String(reflecting: type(of: error)))"])
            return page(.failure(.internalError, detail: String(reflecting: type(of: error))), next: next)
        }
    }

    /// `next` is set, once the flow is read, to its `next_uri`.
    private func continuationOutcome(verificationID: String, next: inout String?) async throws -> CallbackOutcome {
        // Anyone can open this page: an id that cannot be one of ours is not looked up.
        guard Flow.mayBeVerificationID(verificationID),
            let flow = try await store.flow(verificationHash: SecretHash.hex(verificationID))
        else {
            return .failure(.unknownFlow, detail: "no flow has this verification id")
        }
        next = flow.nextURI
        switch flow.status {
        case .completed: return finishOutcome(flow)
        case .failed: return failedOutcome(flow)
        case .pending: return .waiting
        }
    }
}
