import Foundation
import Logging
import Synchronization

/// Refreshes connections, one refresh per connection at a time: a single-flight map in this
/// process and a lease in the store across replicas. Rotating refresh tokens make this a
/// correctness rule: two refreshes with one refresh token can revoke the user's grant.
///
/// The map is behind a mutex, not an actor, and the refresh runs in a task of its own at high
/// priority: in a storm, a request that must wait for a refresh joins it at once, and the
/// refresh's own steps (the lease, the provider call, the write) do not queue behind the
/// thousand requests that arrived with it. (As an actor with the refresh on the caller's task,
/// the first refresh went out 65-82 ms after the first request of a 1,000-request storm; with
/// this, 19-33 ms: docs/performance.md.)
package final class RefreshCoordinator: Sendable {
    /// Why a refresh gave no new token.
    package enum Failure: Error, Sendable {
        /// The grant is gone: the user must authorize again.
        case reauthorizationRequired(String)
        /// The provider is unreachable or overloaded (retry after the date), or refuses the
        /// operator's configuration, such as the client's credentials (no date: a retry helps
        /// only once the configuration is fixed).
        case unavailable(String, retryAt: Date?)
        /// The provider refused the refresh for a reason that is neither the grant being gone
        /// nor the client's credentials (`invalid_request`, a bare 400, an answer without a
        /// token). The grant is kept, so a fix at the provider or in the template brings it
        /// back; meanwhile a new consent may replace it.
        case refused(String)
        /// The connection was deleted while it was refreshed: no token of it may be handed
        /// out, since the delete has answered.
        case gone
    }

    let store: any Store
    let client: any ProviderClient
    let cipher: TokenCipher
    let settings: BrokerSettings
    let connections: ConnectionCache
    let telemetry: Telemetry
    let logger: Logger
    let now: @Sendable () -> Date
    let owner = SecureRandom.identifier(prefix: "lease_")
    /// Revokes grants: a deleted connection's, and one a refresh renewed for a connection
    /// deleted meanwhile.
    package let revoker: Revoker

    /// A connection's refresh in flight: whether the sweep started it, and who waits for it.
    struct Flight {
        let sweeping: Bool
        var waiters: [CheckedContinuation<Connection, any Error>]
    }

    struct State {
        /// The refresh in flight for each connection.
        var inflight: [String: Flight] = [:]
        // Backoff after failures is a cache: losing it on restart costs one extra try.
        var backoff: [String: (until: Date, failures: Int, failure: Failure)] = [:]
    }

    let state = Mutex(State())
    /// The failures a provider's outage or a wrong client secret repeats for every connection
    /// used, said once per 10 s per provider and kind, with how many went unsaid.
    let failureLog = BoundedLog<ProviderTrouble>()

    /// A provider's trouble, as `failureLog` counts it.
    struct ProviderTrouble: Hashable, Sendable {
        let provider: String
        let configuration: Bool
    }

    /// Creates a coordinator.
    package init(
        store: any Store, client: any ProviderClient, cipher: TokenCipher, settings: BrokerSettings,
        connections: ConnectionCache, telemetry: Telemetry = .none, logger: Logger,
        now: @escaping @Sendable () -> Date = Date.init
    ) {
        self.store = store
        self.client = client
        self.cipher = cipher
        self.settings = settings
        self.connections = connections
        self.telemetry = telemetry
        self.logger = logger
        self.now = now
        self.revoker = Revoker(
            store: store, client: client, cipher: cipher, settings: settings, telemetry: telemetry, logger: logger, now: now)
    }

    /// Returns the connection with a fresh token, refreshing it if needed. Concurrent callers
    /// for one connection share one refresh.
    /// With `sweeping` (the background sweep), a connection is refreshed even when its token is
    /// fresh, unless someone refreshed it since the sweep read it; one without a refresh token
    /// is left alone (there is nothing to keep alive).
    package func refresh(_ connection: Connection, provider: Provider, sweeping: Bool = false) async throws -> Connection {
        let (refreshed, joinedSweep) = try await shared(connection, provider: provider, sweeping: sweeping)
        guard joinedSweep, !sweeping else { return refreshed }
        // The sweep leaves alone a row marked for consent since it read it: for a request, that
        // grant is gone.
        if refreshed.status == .reauthorizationRequired {
            throw Failure.reauthorizationRequired("the provider refused the grant's refresh token")
        }
        // And a row without a refresh token: a request that got a stale token back from the
        // sweep's refresh refreshes itself.
        guard isStale(refreshed) else { return refreshed }
        return try await shared(refreshed, provider: provider, sweeping: false).connection
    }

    /// Joins the connection's refresh in flight, or starts one; says whether it joined the sweep's.
    private func shared(_ connection: Connection, provider: Provider, sweeping: Bool) async throws
        -> (connection: Connection, joinedSweep: Bool)
    {
        let time = now()
        var joinedSweep = false
        let refreshed = try await withCheckedThrowingContinuation { continuation in
            let decision = state.withLock { state -> Result<Bool, Failure> in
                if let pending = state.backoff[connection.id], pending.until > time {
                    return .failure(pending.failure)
                }
                if let flight = state.inflight[connection.id] {
                    state.inflight[connection.id]?.waiters.append(continuation)
                    joinedSweep = flight.sweeping
                    return .success(false)
                }
                state.inflight[connection.id] = Flight(sweeping: sweeping, waiters: [continuation])
                return .success(true)
            }
            switch decision {
            case .failure(let failure): continuation.resume(throwing: failure)
            case .success(false): break
            case .success(true):
                // A task of its own, not the first caller's: the refresh must go on for the other
                // waiters if that caller is cancelled (its client left), and at high priority so
                // that its steps are not queued behind the requests of a storm (docs/performance.md).
                Task(priority: .high) {
                    let result: Result<Connection, any Error>
                    do {
                        result = .success(try await self.perform(connection, provider: provider, sweeping: sweeping))
                    } catch {
                        result = .failure(await self.goneIfDeleted(error, connectionID: connection.id))
                    }
                    let waiters = self.state.withLock { $0.inflight.removeValue(forKey: connection.id)?.waiters ?? [] }
                    for waiter in waiters { waiter.resume(with: result) }
                }
            }
        }
        return (refreshed, joinedSweep)
    }

    /// Whether a connection's token is due for a refresh (one that cannot be opened is left to
    /// the caller, which opens it next).
    private func isStale(_ connection: Connection) -> Bool {
        let context = Connection.cipherContext(providerID: connection.providerID, userID: connection.userID)
        guard let tokens = try? cipher.open(TokenSet.self, from: connection.sealedTokens, context: context) else { return false }
        return tokens.staleAt(skew: settings.refreshSkew) <= now()
    }

    /// Forgets a connection's backoff: a new consent gave it a new grant, which the old one's
    /// failures say nothing of.
    package func forgetBackoff(connectionID: String) {
        _ = state.withLock { $0.backoff.removeValue(forKey: connectionID) }
    }

    private func perform(_ connection: Connection, provider: Provider, sweeping: Bool) async throws -> Connection {
        let context = Connection.cipherContext(providerID: connection.providerID, userID: connection.userID)
        let deadline = now().addingTimeInterval(settings.leaseDuration)
        while true {
            let time = now()
            if let held = try await store.acquireRefreshLease(
                connectionID: connection.id, owner: owner, lasting: settings.leaseDuration, now: time)
            {
                return try await refreshHolding(
                    held, provider: provider, context: context, sweepingFrom: sweeping ? connection.version : nil)
            }
            // Another replica holds the lease: wait for its result rather than refresh twice.
            guard time < deadline else {
                throw Failure.unavailable("another replica is refreshing this connection", retryAt: time.addingTimeInterval(1))
            }
            try await Task.sleep(for: .milliseconds(100))
            // A lease that cannot be taken may be a row that is gone.
            guard let current = try await store.connection(id: connection.id) else { throw Failure.gone }
            if current.version != connection.version {
                let tokens = try cipher.open(TokenSet.self, from: current.sealedTokens, context: context)
                if tokens.staleAt(skew: settings.refreshSkew) > now() { return current }
            }
        }
    }

    private func refreshHolding(_ held: Connection, provider: Provider, context: String, sweepingFrom version: Int?)
        async throws -> Connection
    {
        let tokens: TokenSet
        do {
            tokens = try cipher.open(TokenSet.self, from: held.sealedTokens, context: context)
        } catch {
            try await store.releaseRefreshLease(connectionID: held.id, owner: owner, status: held.status)
            throw error
        }
        // Re-read after winning the lease: if someone already refreshed, use theirs. The sweep
        // also leaves a row changed since it read it (marked for a new consent, say) as it is.
        let nothingToDo =
            version.map { held.version != $0 || tokens.refreshToken == nil }
            ?? (held.status == .active && tokens.staleAt(skew: settings.refreshSkew) > now())
        if nothingToDo {
            try await store.releaseRefreshLease(connectionID: held.id, owner: owner, status: held.status)
            return held
        }
        do {
            return try await renewingLease(of: held.id) {
                try await refreshAndStore(held, tokens: tokens, provider: provider, context: context)
            }
        } catch let error as ProviderCallError {
            switch error.kind {
            case .invalidGrant:
                try await store.releaseRefreshLease(connectionID: held.id, owner: owner, status: .reauthorizationRequired)
                await connections.changed(held.id, announcingThrough: store)
                telemetry.refreshed(provider: provider.id, outcome: .reauthorizationRequired)
                logger.notice(
                    "refresh refused; user must authorize again",
                    metadata: ["connection": "\(held.id)", "reason": "\(error.message)"])
                throw Failure.reauthorizationRequired(error.message)
            case .rejected, .transient, .configuration:
                try await store.releaseRefreshLease(connectionID: held.id, owner: owner, status: held.status)
                let time = now()
                let failure = state.withLock { state -> Failure in
                    let failures = (state.backoff[held.id]?.failures ?? 0) + 1
                    let until = time.addingTimeInterval(min(60, pow(2, Double(failures - 1))))
                    let failure: Failure =
                        switch error.kind {
                        case .rejected: .refused(error.message)
                        // A client told to wait would wait up to a minute, twice, for a fix
                        // that waiting does not bring: it hears the reason at once instead.
                        case .configuration: .unavailable(error.message, retryAt: nil)
                        default: .unavailable(error.message, retryAt: until)
                        }
                    state.backoff[held.id] = (until, failures, failure)
                    return failure
                }
                let metadata: Logger.Metadata = [
                    "provider": "\(provider.id)", "connection": "\(held.id)", "reason": "\(error.message)",
                ]
                switch error.kind {
                case .configuration:
                    telemetry.refreshed(provider: provider.id, outcome: .configuration)
                    failureLog.log(
                        ProviderTrouble(provider: provider.id, configuration: true), level: .error,
                        "refresh refused: the provider does not accept this configuration (check the provider's client_id, client_secret and endpoints); backing off",
                        metadata: metadata, logger: logger)
                case .rejected:
                    telemetry.refreshed(provider: provider.id, outcome: .refused)
                    logger.warning(
                        "refresh refused; the grant is kept and an expired token's user is asked to consent again",
                        metadata: metadata)
                default:
                    telemetry.refreshed(provider: provider.id, outcome: .transient)
                    failureLog.log(
                        ProviderTrouble(provider: provider.id, configuration: false), "refresh failed; backing off",
                        metadata: metadata, logger: logger)
                }
                throw failure
            }
        } catch {
            try? await store.releaseRefreshLease(connectionID: held.id, owner: owner, status: held.status)
            throw error
        }
    }
}
