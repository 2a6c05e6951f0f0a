import Foundation
import GatehouseWire
import Logging
import Synchronization

/// Runs authorizations: the hot path that hands out tokens, flows, callbacks and verification.
package final class AuthBroker: Sendable {
    let store: any Store
    let notifier: any Notifier
    let providers: ProviderRegistry
    let client: any ProviderClient
    let cipher: TokenCipher
    let refresher: RefreshCoordinator
    /// The hot path's connections, kept in memory (see `ConnectionCache` for the rules).
    package let connections: ConnectionCache
    let verification: VerificationSettingsService
    /// The app's own sign-in, when user verification goes through an OpenID Provider.
    let identity: (any IdentityVerifier)?
    /// The fixed settings.
    package let settings: BrokerSettings
    let logger: Logger
    /// Flows, refreshes and provider calls, counted.
    package let telemetry: Telemetry
    let now: @Sendable () -> Date
    /// Whether `endWaits` was called: the server is shutting down.
    let waitsEnded = Atomic(false)
    /// The callbacks at work in this process (what a reload of one is told).
    let callbacksAtWork = CallbacksAtWork()

    /// Creates a broker.
    package init(
        store: any Store, notifier: any Notifier, providers: ProviderRegistry, client: any ProviderClient,
        cipher: TokenCipher, settings: BrokerSettings, verification: VerificationSettingsService? = nil,
        connections: ConnectionCache? = nil, identity: (any IdentityVerifier)? = nil, telemetry: Telemetry = .none,
        logger: Logger,
        now: @escaping @Sendable () -> Date = Date.init
    ) {
        self.store = store
        self.notifier = notifier
        self.providers = providers
        self.client = client
        self.cipher = cipher
        self.settings = settings
        self.logger = logger
        self.telemetry = telemetry
        self.now = now
        let connections = connections ?? ConnectionCache(now: now)
        self.connections = connections
        self.refresher = RefreshCoordinator(
            store: store, client: client, cipher: cipher, settings: settings, connections: connections,
            telemetry: telemetry, logger: logger, now: now)
        self.verification = verification ?? VerificationSettingsService(store: store, settings: settings)
        self.identity = identity
    }

    /// Attaches a verified grant to the user's connection and completes the flow.
    func complete(_ flow: Flow, tokens: TokenSet, userInfo: [String: JSONValue]?) async throws -> Flow {
        // Sealed once: a try after one whose answer was lost knows its own write by these bytes
        // (the seal's nonce is random).
        let sealed = try cipher.seal(
            json: tokens, context: Connection.cipherContext(providerID: flow.providerID, userID: flow.userID))
        let stored = try await grantWrite(flowID: flow.id).run {
            try await storeGrant(sealed, of: flow, tokens: tokens, userInfo: userInfo)
        }
        var completed = flow
        completed.status = .completed
        completed.sealedTokens = nil
        completed.version = flow.version + 1
        refresher.forgetBackoff(connectionID: stored.id)
        await connections.changed(stored.id, announcingThrough: store)
        // What a parked wait on this flow would read now, handed to the waits parked here (a
        // token already stale reads again, and refreshes, as any read would).
        let answer = tokens.staleAt(skew: settings.refreshSkew) > now() ? completedAnswer(stored, tokens: tokens) : nil
        await notifier.notify(flowID: flow.id, answer: answer)
        telemetry.flowCompleted(provider: flow.providerID)
        logger.info("authorization completed", metadata: ["auth_id": "\(flow.id)", "provider": "\(flow.providerID)"])
        return completed
    }

    /// One try at storing a new grant with its flow's completion.
    private func storeGrant(_ sealed: [UInt8], of flow: Flow, tokens: TokenSet, userInfo: [String: JSONValue]?)
        async throws -> Connection
    {
        let existing = try await store.connection(userID: flow.userID, providerID: flow.providerID)
        // A try whose answer was lost stored it.
        if let existing, existing.sealedTokens == sealed { return existing }
        let scopes =
            tokens.scopes.map { ScopeSet.union($0, []) }.flatMap { $0.isEmpty ? nil : $0 }
            ?? ScopeSet.union(flow.authorizeScopes, existing?.scopes ?? [])
        let time = now()
        // A new id and time even over an existing row: the upsert keeps a stored row's own, and
        // a row deleted since the read (another replica's delete, its revocation queued under
        // the old id) is a new connection.
        let connection = Connection(
            id: SecureRandom.identifier(prefix: "uc_"), userID: flow.userID,
            providerID: flow.providerID, scopes: scopes, sealedTokens: sealed,
            expiresAt: tokens.expiresAt, userInfo: userInfo ?? existing?.userInfo, status: .active, authID: flow.id,
            createdAt: time, updatedAt: time)
        var completed = flow
        completed.status = .completed
        completed.sealedTokens = nil
        // One transaction: a grant is never stored for a flow that did not complete, nor a flow
        // completed without its grant (and the callback waits for one durable commit, not two).
        guard let stored = try await store.completeFlow(completed, expectedVersion: flow.version, connection: connection)
        else {
            // Failed meanwhile (its provider's template changed, or it expired): say why.
            let reason = (try? await store.flow(id: flow.id))??.failureReason
            throw GatehouseError(.flowState, "the flow changed while it was being completed" + (reason.map { ": " + $0 } ?? ""))
        }
        return stored
    }

    /// The retry of a write that holds a new grant: the provider's code is spent, so a grant
    /// lost to a moment's outage would send the user through consent again.
    func grantWrite(flowID: String) -> OutageRetry {
        OutageRetry(
            limit: .seconds(settings.grantWriteRetry), logger: logger, metadata: ["auth_id": "\(flowID)"],
            failed: "could not store a new grant; trying again", recovered: "stored the new grant",
            gaveUp: "could not store a new grant: the user must authorize again")
    }

    /// The retry of the verification setting's read once the code is spent, for the same reason.
    func settingRead(flowID: String) -> OutageRetry {
        OutageRetry(
            limit: .seconds(settings.grantWriteRetry), logger: logger, metadata: ["auth_id": "\(flowID)"],
            failed: "could not read the verification setting for a new grant; trying again",
            recovered: "read the verification setting",
            gaveUp: "could not read the verification setting: the user must authorize again")
    }

    /// Marks a flow failed and wakes its waiters; `kind` is what the metric counts.
    func fail(_ flow: Flow, _ kind: FlowFailure, reason: String) async throws -> Flow? {
        var failed = flow
        failed.status = .failed
        failed.sealedTokens = nil
        failed.failureReason = Self.storable(reason: reason)
        let stored = try await store.updateFlow(failed, expectedVersion: flow.version)
        await notifier.notify(flowID: flow.id)
        if stored != nil { telemetry.flowFailed(provider: flow.providerID, reason: kind) }
        return stored
    }

    // MARK: - helpers

    static func validatedScopes(_ scopes: [String]) throws -> [String] {
        guard scopes.count <= 100 else { throw GatehouseError.invalid("auth_requirement.oauth2.scopes has more than 100 scopes") }
        for scope in scopes where scope.isEmpty || !ScopeSet.isPlainASCII(scope) {
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

    /// A failure reason as it is kept, and told to the app (`status_reason`): a provider's or an
    /// error's words may carry control characters, which a terminal showing them would act on
    /// (C0 and C1 become spaces), and any length (500 characters are kept).
    static func storable(reason: String) -> String {
        let scalars = reason.unicodeScalars.map { $0.properties.generalCategory == .control ? " " : $0 }
        return String(String.UnicodeScalarView(scalars.prefix(500)))
    }

    /// Keeps provider-sent text short and printable before it reaches a page or a log.
    static func printable(_ text: String) -> String {
        String(text.prefix(100).filter { $0.isLetter || $0.isNumber || "_-. ".contains($0) })
    }
}
