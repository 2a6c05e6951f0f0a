import Foundation
import GatehouseWire
import Logging

// The provider's redirect back: single-use state, code exchange, then verification or completion.
extension AuthBroker {
    /// What a state that names no flow (or a flow that expired) gets.
    static let expiredLink = CallbackOutcome.failure(
        .expiredOrUsed, detail: "the state is unknown, used, or its flow expired")

    /// A callback whose state was used already: a reload of the page, or the browser coming
    /// back. It says where the flow is (a completed one as the first answer did, with nothing
    /// done again; one whose first callback is still at work as such) rather than calling a
    /// sign-in expired that has not.
    private func reloaded(stateHash: String, providerID: String) async throws -> CallbackOutcome {
        // Asked before the flow is read: a callback that leaves after the read wrote its end first.
        let atWorkHere = callbacksAtWork.contains(stateHash)
        return try await reload(of: try await store.flow(stateHash: stateHash), providerID: providerID, atWorkHere: atWorkHere)
    }

    /// What `reloaded` says of `flow`, read after `atWorkHere` was asked.
    private func reload(of flow: Flow?, providerID: String, atWorkHere: Bool) async throws -> CallbackOutcome {
        guard let flow, flow.providerID == providerID, flow.stateUsed else { return Self.expiredLink }
        switch flow.status {
        case .completed: return finishOutcome(flow)
        case .failed: return failedOutcome(flow)
        case .pending where flow.verificationHash != nil: return flow.expiresAt > now() ? .waiting : Self.expiredLink
        // The first callback is still exchanging the code or storing the grant (a slow provider,
        // a store tried again): the person reloaded, or opened the link twice; or it stopped
        // (`callbackStopped`: at once on a store this process serves alone, where a callback not
        // at work here is at work nowhere; on a shared one, once its replica is seen gone).
        case .pending:
            let stateHash = flow.stateHash
            guard
                try await stoppedCallback(flow, atWork: atWorkHere, reread: { try await store.flow(stateHash: stateHash) })
                    != nil
            else { return .finishing }
            return .failure(.notCompleted, detail: "the callback that took the state stopped before it finished the flow")
        }
    }

    /// The provider's redirect back to `/v1/oauth/{provider}/callback`.
    package func callback(providerID: String, query: [String: String]) async -> CallbackOutcome {
        await callbackPage(providerID: providerID, query: query).outcome
    }

    /// `callback(providerID:query:)`, with the way back to the app beside a failure.
    package func callbackPage(providerID: String, query: [String: String]) async -> SignInPage {
        var spent = false
        var next: String?
        do {
            return page(try await handleCallback(providerID: providerID, query: query, spent: &spent, next: &next), next: next)
        } catch let error as GatehouseError {
            logger.warning("callback failed", metadata: ["provider": "\(providerID)", "error": "\(error.code.rawValue)"])
            return page(.failure(CallbackFailure(error.code, reloadable: !spent), detail: error.message), next: next)
        } catch {
            logger.error("callback failed", metadata: ["provider": "\(providerID)", "error": "\(error)"])
            return page(.failure(.internalError, detail: String(reflecting: type(of: error))), next: next)
        }
    }

    /// `spent` is set once the state is used: from then on a reload of the link cannot finish;
    /// `next`, once the flow is read, to its `next_uri`.
    private func handleCallback(providerID: String, query: [String: String], spent: inout Bool, next: inout String?)
        async throws -> CallbackOutcome
    {
        guard let state = query["state"], !state.isEmpty, state.count <= 512 else {
            return .failure(.incompleteLink, detail: "the callback carries no usable state")
        }
        // Anyone can send this request, without a key: a state that cannot be one of ours costs
        // nothing, and one that names no flow, or a used one (a reload), a read but no write
        // (on SQLite, the store's exclusive section).
        guard SecureRandom.isToken(state) else { return Self.expiredLink }
        let stateHash = SecretHash.hex(state)
        let atWorkHere = callbacksAtWork.contains(stateHash)
        guard let found = try await store.flow(stateHash: stateHash) else { return Self.expiredLink }
        next = found.nextURI
        if found.stateUsed { return try await reload(of: found, providerID: providerID, atWorkHere: atWorkHere) }
        // Counted before the state is taken, so that a reload never finds the state taken and
        // its callback nowhere at work.
        callbacksAtWork.enter(stateHash)
        let taken: Flow?
        do {
            taken = try await store.consumeState(hash: stateHash, now: now(), by: settings.serverRecord)
        } catch {
            callbacksAtWork.leave(stateHash)
            throw error
        }
        guard let flow = taken else {
            callbacksAtWork.leave(stateHash)
            return try await reloaded(stateHash: stateHash, providerID: providerID)
        }
        defer { callbacksAtWork.leave(stateHash) }
        spent = true
        guard flow.providerID == providerID else {
            _ = try await fail(flow, .wrongProvider, reason: "the callback came to the wrong provider path")
            return .failure(.wrongProvider, detail: "the callback came to the wrong provider path")
        }
        // Before anything else the redirect says, errors included (RFC 9207 §2).
        let provider = try await providers.provider(id: providerID)
        if let provider, let problem = IssuerCheck.problem(iss: query["iss"], template: provider.oauth2) {
            _ = try await fail(flow, .issuerMismatch, reason: problem)
            return .failure(.issuerMismatch, detail: problem)
        }
        if let error = query["error"] {
            let reason = error == "access_denied" ? Flow.deniedReason : "the provider reported \(Self.printable(error))"
            _ = try await fail(flow, error == "access_denied" ? .denied : .providerError, reason: reason)
            return .failure(error == "access_denied" ? .declined : .providerReportedError, detail: reason)
        }
        guard let code = query["code"], !code.isEmpty else {
            _ = try await fail(flow, .noCode, reason: "the callback carried no code")
            return .failure(.noCode, detail: "the callback carried no code")
        }
        guard let provider, provider.enabled else {
            // Removed, or made inactive since the flow started: a grant stored now would serve nothing.
            _ = try await fail(flow, .providerRemoved, reason: "the provider was removed or made inactive")
            return .failure(.providerRemoved, detail: "the provider was removed or made inactive")
        }
        let verifier = try flow.sealedVerifier.map {
            String(decoding: try cipher.open($0, context: SealedField.context(.flowVerifier, rowID: flow.id)), as: UTF8.self)
        }
        // The verification setting does not depend on the exchange: it is read while the exchange
        // is under way (with an identity provider it is not needed).
        async let setting = identity == nil ? verification.current() : settings.defaultVerification
        var tokens: TokenSet
        do {
            tokens = try await client.exchange(
                provider: provider, code: code, redirectURI: settings.redirectURI(providerID: provider.id),
                codeVerifier: verifier)
        } catch let error as ProviderCallError {
            _ = try await fail(flow, .exchangeFailed, reason: "token exchange failed: \(error.message)")
            logger.warning("token exchange failed", metadata: ["provider": "\(provider.id)", "reason": "\(error.message)"])
            return .failure(.exchangeRefused, detail: "token exchange failed: \(error.message)")
        }
        // Granted: what the answer names, and what was asked that it names otherwise.
        tokens.scopes = tokens.scopes.map { provider.grantedScopes(answered: $0, requested: flow.authorizeScopes) }
        var userInfo: [String: JSONValue]?
        do {
            userInfo = try await client.userInfo(provider: provider, tokens: tokens, known: nil, onRefresh: false)
        } catch {
            logger.warning("user info request failed", metadata: ["provider": "\(provider.id)", "error": "\(error)"])
        }
        if let identity {
            return try await askIdentity(identity, flow: flow, tokens: tokens, userInfo: userInfo)
        }
        let mode: VerificationSetting
        do {
            mode = try await setting
        } catch let error as GatehouseError where error.code == .storeUnavailable {
            // The code is spent: the setting is read again while the store is away, rather than
            // the grant lost. (The retry logs its own failures, not this first one.)
            logger.warning(
                "could not read the verification setting for a new grant; trying again",
                metadata: ["auth_id": "\(flow.id)", "error": "\(error)"])
            mode = try await settingRead(flowID: flow.id).run { try await verification.current() }
        }
        if !mode.unsafeSkip, let verifierURL = mode.verifierURL {
            let verificationID = Flow.newVerificationID()
            guard try await park(tokens, userInfo: userInfo, on: flow, verificationID: verificationID) else {
                return .failure(.changedMeanwhile, detail: "the flow changed while the callback was finishing it")
            }
            let separator = verifierURL.contains("?") ? "&" : "?"
            return .redirect(verifierURL + separator + "flow_id=" + FormEncoding.escape(verificationID))
        }
        guard mode.unsafeSkip else {
            _ = try await fail(flow, .noVerifier, reason: "no user verifier is configured")
            return .failure(.noVerifier, detail: "no user verifier is configured")
        }
        do {
            return finishOutcome(try await complete(flow, tokens: tokens, userInfo: userInfo))
        } catch let error as GatehouseError where error.code == .flowState {
            return .failure(.changedMeanwhile, detail: error.message)
        }
    }

    func finishOutcome(_ flow: Flow) -> CallbackOutcome {
        if let next = flow.nextURI { return .redirect(next) }
        return .success(providerID: flow.providerID)
    }

    /// The page for a flow that failed, asked for again (a reload of the callback, the verifier's
    /// link): what the first answer said when the reason is the person's, else that it ended.
    func failedOutcome(_ flow: Flow) -> CallbackOutcome {
        let reason = flow.failureReason ?? "the flow failed"
        switch reason {
        case Flow.deniedReason: return .failure(.declined, detail: reason)
        case Flow.userMismatchReason: return .failure(.wrongUser, detail: reason)
        default: return .failure(.notCompleted, detail: reason)
        }
    }
}
