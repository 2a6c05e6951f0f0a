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
            throw GatehouseError(.flowState, "the flow is not awaiting verification (it completed, failed or expired)")
        }
        guard sameUser else {
            // Someone other than the user who started the flow finished it: never attach it.
            _ = try await fail(flow, .userMismatch, reason: Flow.userMismatchReason)
            throw GatehouseError(
                .userMismatch,
                "An error occurred during verification: the signed-in user is not the user who started this authorization")
        }
        let tokens = try cipher.open(TokenSet.self, from: sealed, context: SealedField.context(.flowTokens, rowID: flow.id))
        _ = try await complete(flow, tokens: tokens, userInfo: flow.userInfo)
        return ConfirmUserResponse(authID: flow.id, nextURI: nextURI)
    }

    /// `GET /v1/oauth/complete/{flow_id}`: where `confirm_user`'s `next_uri` leads; only reads.
    package func continuation(verificationID: String) async throws -> CallbackOutcome {
        guard let flow = try await store.flow(verificationHash: SecretHash.hex(verificationID)) else {
            return .failure(.unknownFlow, detail: "no flow has this verification id")
        }
        switch flow.status {
        case .completed: return finishOutcome(flow)
        case .failed where flow.failureReason == Flow.userMismatchReason:
            return .failure(.wrongUser, detail: Flow.userMismatchReason)
        case .failed:
            return .failure(.notCompleted, detail: flow.failureReason ?? "the flow failed")
        case .pending: return .waiting
        }
    }
}
