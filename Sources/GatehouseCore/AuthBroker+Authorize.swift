import Foundation
import GatehouseWire
import Logging

// The hot path: a token at once when the grant covers the scopes, else a (shared) flow.
extension AuthBroker {
    /// `POST /v1/auth/authorize`: a token at once when the user's grant covers the scopes,
    /// else a (possibly shared) flow and its URL.
    package func authorize(_ request: AuthorizationRequest) async throws -> AuthorizationResponse {
        let userID = request.userID
        // `count` walks grapheme clusters; 256 bytes or fewer cannot be more than 256 of them.
        guard !userID.isEmpty, userID.utf8.count <= 256 || userID.count <= 256, userID.utf8.count <= 1024 else {
            throw GatehouseError.invalid("user_id must be 1-256 characters (and at most 1024 bytes of UTF-8)")
        }
        guard !ScopeSet.hasControlCharacter(userID) else {
            throw GatehouseError.invalid("user_id must not contain control characters")
        }
        if let type = request.authRequirement.providerType, !type.isEmpty, type != "oauth2" {
            throw GatehouseError.invalid("auth_requirement.provider_type must be oauth2")
        }
        let requested = try Self.validatedScopes(request.authRequirement.oauth2?.scopes ?? [])
        if let next = request.nextURI, !settings.isAllowedRedirect(next) {
            throw GatehouseError.invalid("next_uri is not an allowed redirect (configure auth.allowed_redirect_origins)")
        }
        let provider = try await providers.resolve(
            id: request.authRequirement.id, providerID: request.authRequirement.providerID)

        let connection = try await connections.connection(userID: userID, providerID: provider.id) {
            try await store.connection(userID: userID, providerID: provider.id)
        }
        var granted = connection?.scopes ?? []
        if let connection, connection.status == .active, provider.covers(granted: connection.scopes, requested: requested) {
            if let response = try await completedResponse(connection, provider: provider) { return response }
            // The grant must be consented again, or was deleted during its refresh: what it still
            // grants (nothing, once deleted) is asked for with the new scopes.
            granted = try await store.connection(userID: userID, providerID: provider.id)?.scopes ?? []
        }
        return try await startFlow(
            userID: userID, provider: provider, requested: requested, granted: granted, nextURI: request.nextURI)
    }

    /// The completed answer for a connection, refreshing first when its token is stale; nil
    /// when the grant is gone and the user must authorize again.
    func completedResponse(_ connection: Connection, provider: Provider) async throws -> AuthorizationResponse? {
        let context = Connection.cipherContext(providerID: connection.providerID, userID: connection.userID)
        var current = connection
        var tokens = try cipher.open(TokenSet.self, from: connection.sealedTokens, context: context)
        if tokens.staleAt(skew: settings.refreshSkew) <= now() {
            do {
                current = try await refresher.refresh(connection, provider: provider)
                tokens = try cipher.open(TokenSet.self, from: current.sealedTokens, context: context)
            } catch RefreshCoordinator.Failure.reauthorizationRequired {
                return nil
            } catch RefreshCoordinator.Failure.gone {
                // Deleted while it was refreshed: the delete has answered, so its token is not
                // handed out; the caller starts a new authorization.
                return nil
            } catch RefreshCoordinator.Failure.refused {
                // The refresh token may be dead in a way the provider does not name: while the
                // token lives it is handed out, then the user is asked to consent again (arcade-api.md
                // §5.5). The grant is kept, so a fix at the provider brings it back unasked.
                guard tokens.expiresAt > now() else { return nil }
            } catch RefreshCoordinator.Failure.unavailable(let reason, let retryAt) {
                // A token that has not expired yet still works; hand it out.
                guard tokens.expiresAt > now() else {
                    throw GatehouseError(
                        .providerUnavailable, "the token expired and the provider could not refresh it: \(reason)",
                        retryAfter: retryAt.map { max(1, Int($0.timeIntervalSince(now()).rounded(.up))) })
                }
            }
        }
        return completedAnswer(current, tokens: tokens)
    }

    /// The completed answer for a connection and its open token set.
    func completedAnswer(_ connection: Connection, tokens: TokenSet) -> AuthorizationResponse {
        AuthorizationResponse(
            id: connection.authID, status: .completed, scopes: connection.scopes, providerID: connection.providerID,
            userID: connection.userID,
            context: .init(token: tokens.accessToken, userInfo: connection.userInfo ?? [:]))
    }

    private func startFlow(
        userID: String, provider: Provider, requested: [String], granted: [String], nextURI: String?
    ) async throws -> AuthorizationResponse {
        let authorizeScopes = ScopeSet.union(requested, granted)
        let state = SecureRandom.token()
        let verifier = provider.usesPKCE ? PKCE.makeVerifier() : nil
        let id = SecureRandom.identifier(prefix: "ac_")
        let url = try client.authorizeURL(
            provider: provider, redirectURI: settings.redirectURI(providerID: provider.id), state: state,
            codeChallenge: verifier.map(PKCE.challenge(for:)), requested: requested,
            existing: ScopeSet.existing(granted: granted, requested: requested))
        let time = now()
        let flow = Flow(
            id: id, userID: userID, providerID: provider.id, requestedScopes: requested,
            authorizeScopes: authorizeScopes, stateHash: SecretHash.hex(state),
            sealedVerifier: try verifier.map {
                try cipher.seal(Array($0.utf8), context: SealedField.context(.flowVerifier, rowID: id))
            },
            sealedURL: try cipher.seal(Array(url.utf8), context: SealedField.context(.flowURL, rowID: id)), nextURI: nextURI,
            createdAt: time,
            expiresAt: time.addingTimeInterval(settings.flowTTL))
        let stored = try await store.insertFlowDeduplicated(flow, now: time)
        // An open flow for the same request is handed out again instead: not a new start.
        if stored.id == id { telemetry.flowStarted(provider: provider.id) }
        return try pendingResponse(stored)
    }

    func pendingResponse(_ flow: Flow) throws -> AuthorizationResponse {
        // A failed flow's URL leads nowhere (its state is spent): a client that shows `url`
        // whenever the status is not `completed` would send the person to a dead end.
        let url = try flow.sealedURL.flatMap { sealed -> String? in
            guard flow.status != .failed else { return nil }
            return String(
                decoding: try cipher.open(sealed, context: SealedField.context(.flowURL, rowID: flow.id)), as: UTF8.self)
        }
        return AuthorizationResponse(
            id: flow.id, status: flow.status == .failed ? .failed : .pending, url: url,
            scopes: flow.authorizeScopes, providerID: flow.providerID, userID: flow.userID,
            statusReason: flow.status == .failed ? flow.failureReason ?? "the authorization failed" : nil)
    }
}
