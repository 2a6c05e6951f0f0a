import Foundation
import GatehouseWire
import Logging

/// Runs authorizations: the hot path that hands out tokens, flows, callbacks and verification.
public struct AuthBroker: Sendable {
    let store: any Store
    let notifier: any Notifier
    let providers: ProviderRegistry
    let client: any ProviderClient
    let cipher: TokenCipher
    let refresher: RefreshCoordinator
    let verification: VerificationSettingsService
    /// The fixed settings.
    public let settings: BrokerSettings
    let logger: Logger
    let now: @Sendable () -> Date

    /// Creates a broker.
    public init(
        store: any Store, notifier: any Notifier, providers: ProviderRegistry, client: any ProviderClient,
        cipher: TokenCipher, settings: BrokerSettings, logger: Logger, now: @escaping @Sendable () -> Date = Date.init
    ) {
        self.store = store
        self.notifier = notifier
        self.providers = providers
        self.client = client
        self.cipher = cipher
        self.settings = settings
        self.logger = logger
        self.now = now
        self.refresher = RefreshCoordinator(
            store: store, client: client, cipher: cipher, settings: settings, logger: logger, now: now)
        self.verification = VerificationSettingsService(store: store, settings: settings)
    }

    /// The providers this broker serves.
    public var providerRegistry: ProviderRegistry { providers }
    /// The user-verification setting.
    public var verificationSettings: VerificationSettingsService { verification }

    // MARK: - authorize

    /// `POST /v1/auth/authorize`: a token at once when the user's grant covers the scopes,
    /// else a (possibly shared) flow and its URL.
    public func authorize(_ request: AuthorizationRequest) async throws -> AuthorizationResponse {
        let userID = request.userID
        guard !userID.isEmpty, userID.count <= 256, userID.utf8.count <= 1024 else {
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

        let connection = try await store.connection(userID: userID, providerID: provider.id)
        if let connection, connection.status == .active, ScopeSet.covers(granted: connection.scopes, requested: requested) {
            if let response = try await completedResponse(connection, provider: provider) { return response }
        }
        return try await startFlow(
            userID: userID, provider: provider, requested: requested, granted: connection?.scopes ?? [],
            nextURI: request.nextURI)
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
            } catch RefreshCoordinator.Failure.unavailable(let reason, _) {
                // A token that has not expired yet still works; hand it out.
                guard tokens.expiresAt > now() else {
                    throw GatehouseError(
                        .providerUnavailable, "the token expired and the provider could not refresh it: \(reason)")
                }
            }
        }
        return AuthorizationResponse(
            id: current.authID, status: .completed, scopes: current.scopes, providerID: provider.id,
            userID: current.userID,
            context: .init(token: tokens.accessToken, userInfo: current.userInfo ?? [:]))
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
        return try pendingResponse(stored)
    }

    func pendingResponse(_ flow: Flow) throws -> AuthorizationResponse {
        let url = try flow.sealedURL.map {
            String(decoding: try cipher.open($0, context: SealedField.context(.flowURL, rowID: flow.id)), as: UTF8.self)
        }
        return AuthorizationResponse(
            id: flow.id, status: flow.status == .failed ? .failed : .pending, url: url,
            scopes: flow.authorizeScopes, providerID: flow.providerID, userID: flow.userID)
    }

    // MARK: - status

    /// `GET /v1/auth/status`: the flow's status; with `wait`, parks until it completes or the
    /// wait runs out (then 200 with the current status, never 408).
    public func status(id: String, wait: Duration?) async throws -> AuthorizationResponse {
        guard let wait, wait > .zero else { return try await statusNow(id: id) }
        let deadline = ContinuousClock.now.advanced(by: wait)
        while true {
            let ticket = await notifier.prepare(flowID: id)
            let response: AuthorizationResponse
            do {
                response = try await statusNow(id: id)
            } catch {
                await notifier.cancel(ticket)
                throw error
            }
            let remaining = ContinuousClock.now.duration(to: deadline)
            if response.status == .completed || remaining <= .zero || Task.isCancelled {
                await notifier.cancel(ticket)
                return response
            }
            if !(await notifier.wait(ticket, timeout: remaining)) {
                return try await statusNow(id: id)
            }
        }
    }

    func statusNow(id: String) async throws -> AuthorizationResponse {
        guard var flow = try await store.flow(id: id) else {
            throw GatehouseError.notFound("authorization '\(id)' not found")
        }
        switch flow.status {
        case .completed:
            guard let provider = try await providers.provider(id: flow.providerID),
                let connection = try await store.connection(userID: flow.userID, providerID: flow.providerID),
                connection.status == .active,
                let response = try await completedResponse(connection, provider: provider)
            else {
                // The grant was deleted or revoked since: this authorization no longer stands.
                var response = try pendingResponse(flow)
                response.status = .failed
                response.url = nil
                return response
            }
            var completed = response
            completed.id = flow.id
            return completed
        case .pending where flow.expiresAt <= now():
            flow = try await fail(flow, reason: "the authorization expired") ?? flow
            return try pendingResponse(flow)
        case .pending, .failed:
            return try pendingResponse(flow)
        }
    }

    // MARK: - callback and verification

    /// The provider's redirect back to `/v1/oauth/{provider}/callback`.
    public func callback(providerID: String, query: [String: String]) async -> CallbackOutcome {
        do {
            return try await handleCallback(providerID: providerID, query: query)
        } catch let error as GatehouseError {
            logger.warning("callback failed", metadata: ["provider": "\(providerID)", "error": "\(error.code.rawValue)"])
            return .failure(
                status: error.code == .providerUnavailable ? 502 : 500,
                message: "Gatehouse could not finish this sign-in: \(error.message)")
        } catch {
            logger.error("callback failed", metadata: ["provider": "\(providerID)", "error": "\(error)"])
            return .failure(status: 500, message: "Gatehouse could not finish this sign-in because of an internal error.")
        }
    }

    private func handleCallback(providerID: String, query: [String: String]) async throws -> CallbackOutcome {
        guard let state = query["state"], !state.isEmpty, state.count <= 512 else {
            return .failure(status: 400, message: "This sign-in link is incomplete: it carries no state.")
        }
        guard var flow = try await store.consumeState(hash: SecretHash.hex(state), now: now()) else {
            return .failure(status: 400, message: "This sign-in link has expired or was already used. Start again from the app.")
        }
        guard flow.providerID == providerID else {
            _ = try await fail(flow, reason: "the callback came to the wrong provider path")
            return .failure(status: 400, message: "This sign-in came back to the wrong provider. Start again from the app.")
        }
        if let error = query["error"] {
            let reason = error == "access_denied" ? "the user denied access" : "the provider reported \(Self.printable(error))"
            _ = try await fail(flow, reason: reason)
            return .failure(
                status: 400,
                message: error == "access_denied"
                    ? "Access was not granted. You can close this window."
                    : "The provider reported an error (\(Self.printable(error))). Start again from the app.")
        }
        guard let code = query["code"], !code.isEmpty else {
            _ = try await fail(flow, reason: "the callback carried no code")
            return .failure(status: 400, message: "The provider sent no authorization code. Start again from the app.")
        }
        guard let provider = try await providers.provider(id: providerID) else {
            _ = try await fail(flow, reason: "the provider was removed")
            return .failure(status: 400, message: "This provider is no longer configured.")
        }
        let verifier = try flow.sealedVerifier.map {
            String(decoding: try cipher.open($0, context: SealedField.context(.flowVerifier, rowID: flow.id)), as: UTF8.self)
        }
        let tokens: TokenSet
        do {
            tokens = try await client.exchange(
                provider: provider, code: code, redirectURI: settings.redirectURI(providerID: provider.id),
                codeVerifier: verifier)
        } catch let error as ProviderCallError {
            _ = try await fail(flow, reason: "token exchange failed: \(error.message)")
            logger.warning("token exchange failed", metadata: ["provider": "\(provider.id)", "reason": "\(error.message)"])
            return .failure(status: 502, message: "The provider refused the token exchange (\(error.message)).")
        }
        var userInfo: [String: JSONValue]?
        do {
            userInfo = try await client.userInfo(provider: provider, tokens: tokens, onRefresh: false)
        } catch {
            logger.warning("user info request failed", metadata: ["provider": "\(provider.id)", "error": "\(error)"])
        }
        let mode = try await verification.current()
        if !mode.unsafeSkip, let verifierURL = mode.verifierURL {
            let verificationID = SecureRandom.identifier(prefix: "af_") + SecureRandom.token(bytes: 16)
            let expected = flow.version
            flow.sealedTokens = try cipher.seal(json: tokens, context: SealedField.context(.flowTokens, rowID: flow.id))
            flow.userInfo = userInfo
            flow.verificationHash = SecretHash.hex(verificationID)
            guard try await store.updateFlow(flow, expectedVersion: expected) != nil else {
                return .failure(
                    status: 409, message: "This sign-in changed while it was being finished. Start again from the app.")
            }
            let separator = verifierURL.contains("?") ? "&" : "?"
            return .redirect(verifierURL + separator + "flow_id=" + FormEncoding.escape(verificationID))
        }
        guard mode.unsafeSkip else {
            _ = try await fail(flow, reason: "no user verifier is configured")
            return .failure(
                status: 500, message: "Gatehouse has no user verifier configured, so this sign-in cannot be finished.")
        }
        let completed = try await complete(flow, tokens: tokens, userInfo: userInfo)
        return finishOutcome(completed)
    }

    /// `POST /v1/auth/confirm_user`: the app's verifier says who is signed in. On a match the
    /// grant is attached and the flow completes; on a mismatch the grant is discarded.
    public func confirmUser(_ request: ConfirmUserRequest) async throws -> ConfirmUserResponse {
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
            _ = try await fail(flow, reason: "user verification failed: user mismatch")
            throw GatehouseError(
                .userMismatch,
                "An error occurred during verification: the signed-in user is not the user who started this authorization")
        }
        let tokens = try cipher.open(TokenSet.self, from: sealed, context: SealedField.context(.flowTokens, rowID: flow.id))
        _ = try await complete(flow, tokens: tokens, userInfo: flow.userInfo)
        return ConfirmUserResponse(authID: flow.id, nextURI: nextURI)
    }

    /// `GET /v1/oauth/complete/{flow_id}`: where `confirm_user`'s `next_uri` leads; only reads.
    public func continuation(verificationID: String) async throws -> CallbackOutcome {
        guard let flow = try await store.flow(verificationHash: SecretHash.hex(verificationID)) else {
            return .failure(status: 404, message: "This sign-in is unknown or has expired.")
        }
        switch flow.status {
        case .completed: return finishOutcome(flow)
        case .failed:
            return .failure(status: 400, message: "This sign-in did not complete: \(flow.failureReason ?? "it failed").")
        case .pending: return .waiting
        }
    }

    private func finishOutcome(_ flow: Flow) -> CallbackOutcome {
        if let next = flow.nextURI { return .redirect(next) }
        return .success(providerID: flow.providerID)
    }

    /// Attaches a verified grant to the user's connection and completes the flow.
    func complete(_ flow: Flow, tokens: TokenSet, userInfo: [String: JSONValue]?) async throws -> Flow {
        let existing = try await store.connection(userID: flow.userID, providerID: flow.providerID)
        let scopes =
            tokens.scopes.map { ScopeSet.union($0, []) }.flatMap { $0.isEmpty ? nil : $0 }
            ?? ScopeSet.union(flow.authorizeScopes, existing?.scopes ?? [])
        let time = now()
        let connection = Connection(
            id: existing?.id ?? SecureRandom.identifier(prefix: "uc_"), userID: flow.userID,
            providerID: flow.providerID, scopes: scopes,
            sealedTokens: try cipher.seal(
                json: tokens, context: Connection.cipherContext(providerID: flow.providerID, userID: flow.userID)),
            expiresAt: tokens.expiresAt, userInfo: userInfo ?? existing?.userInfo, status: .active, authID: flow.id,
            createdAt: existing?.createdAt ?? time, updatedAt: time)
        _ = try await store.upsertConnection(connection)
        var done = flow
        done.status = .completed
        done.sealedTokens = nil
        guard let stored = try await store.updateFlow(done, expectedVersion: flow.version) else {
            throw GatehouseError(.flowState, "the flow changed while it was being completed")
        }
        await notifier.notify(flowID: flow.id)
        logger.info("authorization completed", metadata: ["auth_id": "\(flow.id)", "provider": "\(flow.providerID)"])
        return stored
    }

    /// Marks a flow failed and wakes its waiters.
    func fail(_ flow: Flow, reason: String) async throws -> Flow? {
        var failed = flow
        failed.status = .failed
        failed.sealedTokens = nil
        failed.failureReason = reason
        let stored = try await store.updateFlow(failed, expectedVersion: flow.version)
        await notifier.notify(flowID: flow.id)
        return stored
    }

    // MARK: - helpers

    static func validatedScopes(_ scopes: [String]) throws -> [String] {
        guard scopes.count <= 100 else { throw GatehouseError.invalid("auth_requirement.oauth2.scopes has more than 100 scopes") }
        for scope in scopes {
            // Scalars, not characters: a comma followed by a combining mark is one `Character`
            // that is not ",", yet its bytes split on a "," delimiter.
            guard !scope.isEmpty, scope.count <= 512, scope.utf8.count <= 2048,
                !scope.unicodeScalars.contains(where: { $0 == "," || $0.properties.isWhitespace })
            else {
                throw GatehouseError.invalid(
                    "auth_requirement.oauth2.scopes has an invalid scope: each must be 1-512 characters without spaces or commas")
            }
            guard !ScopeSet.hasControlCharacter(scope) else {
                throw GatehouseError.invalid("auth_requirement.oauth2.scopes has a scope with a control character")
            }
        }
        return ScopeSet.normalize(scopes)
    }

    /// Keeps provider-sent text short and printable before it reaches a page or a log.
    static func printable(_ text: String) -> String {
        String(text.prefix(100).filter { $0.isLetter || $0.isNumber || "_-. ".contains($0) })
    }
}
