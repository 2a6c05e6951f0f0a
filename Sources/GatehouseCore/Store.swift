import Foundation

/// Where Gatehouse keeps its state. Every method is one atomic operation, so several replicas
/// can share one database: there is no state that only one process may hold.
package protocol Store: Sendable {
    // MARK: providers

    /// All providers, ordered by id.
    func providers() async throws -> [ProviderRecord]
    /// One provider.
    func provider(id: String) async throws -> ProviderRecord?
    /// Adds a provider; throws `conflict` when the id is taken.
    /// Connections, flows and pending revocations left under its id (by a provider of that id
    /// deleted before they were deleted with it) are deleted in the same transaction: a grant
    /// belongs to the server that issued it, never to a later provider that takes the id.
    func insertProvider(_ record: ProviderRecord) async throws
    /// Replaces the provider stored under `id` (which may rename it); throws `conflict` when the
    /// new id is taken. A rename throws `conflict` while connections are stored under the old id
    /// (each is sealed for it), checked in the same transaction; it deletes the old id's flows and
    /// pending revocations, and the connections, flows and pending revocations left under the new
    /// id. With `refusal`, any change is refused (with it) while connections are stored under `id`
    /// (a token-side endpoint that moves would receive their refresh tokens); one that goes
    /// through deletes the provider's pending revocations, whose tokens go to no other place
    /// either. A change of template fails the provider's open flows in the same transaction,
    /// before the connections check (see `ProviderReplacement`). Nil when no provider has `id`.
    /// With `basedOn`, the `updatedAt` of the row the change was made from: a row changed since
    /// (another request, on any replica) is left as it is, and `ProviderChangedMeanwhile` thrown.
    func updateProvider(
        id: String, with record: ProviderRecord, unlessConnected refusal: GatehouseError?, basedOn: Date?
    ) async throws -> ProviderReplacement?
    /// Inserts or replaces a provider (config-file providers on start); a change of template
    /// fails its open flows, as `updateProvider` does.
    @discardableResult
    func upsertProvider(_ record: ProviderRecord) async throws -> ProviderReplacement
    /// Removes a provider with its connections and flows, in one transaction; returns what was
    /// removed. With `revokingAt`, when the removed row can revoke grants
    /// (`RevocationOrder(retiring:at:)`), the provider is kept as a `RetiredProvider` and each
    /// connection's grant queued for revocation through it, due at once (`createdAt` and
    /// `nextAttemptAt` that time, the id the connection's with the retired provider's key), as
    /// are the provider's own pending revocations; otherwise those pending revocations go too.
    /// Flows go before connections, so a flow completing meanwhile either stores its connection
    /// before the grants are queued or stores nothing.
    func deleteProvider(id: String, revokingAt deletedAt: Date?) async throws -> ProviderRecord?
    /// A deleted provider kept for its grants' revocations.
    func retiredProvider(key: String) async throws -> RetiredProvider?
    /// Removes the retired providers that no pending revocation names any more; returns how many.
    @discardableResult
    func dropRetiredProviders() async throws -> Int

    // MARK: flows

    /// Adds a flow unless an open flow with the same dedupe key exists; returns the open flow
    /// that now holds the key (the new one or the existing one).
    func insertFlowDeduplicated(_ flow: Flow, now: Date) async throws -> Flow
    /// One flow by authorization id.
    func flow(id: String) async throws -> Flow?
    /// One flow by the hash of the verification id handed to the verifier.
    func flow(verificationHash: String) async throws -> Flow?
    /// One flow by the hash of its `state`, used or not (a callback reloaded after its use).
    func flow(stateHash: String) async throws -> Flow?
    /// Marks the state used and returns the flow, only if the state is unused and the flow is
    /// pending and not expired: the single-use check. The flow then lives at least
    /// `Flow.callbackLimit` more, so that a callback that came just before its expiry can finish,
    /// and its user be verified, rather than lose the grant.
    func consumeState(hash: String, now: Date, by server: String?) async throws -> Flow?
    /// Pending flows that have not expired, newest first, at most `limit` (the dashboard's list).
    func openFlows(now: Date, limit: Int) async throws -> [Flow]
    /// Writes a changed flow if its version is still `expectedVersion`; bumps the version.
    func updateFlow(_ flow: Flow, expectedVersion: Int) async throws -> Flow?
    /// Writes the completed `flow` as `updateFlow` does and upserts its `connection` as
    /// `upsertConnection` does, in one transaction: both or neither. Answers the stored
    /// connection, or nil (nothing written) when the flow's version is no longer
    /// `expectedVersion`; the flow's version is then `expectedVersion + 1`.
    func completeFlow(_ flow: Flow, expectedVersion: Int, connection: Connection) async throws -> Connection?

    /// Fails the pending flows whose time ran out at `now`, at most `limit` of them, soonest
    /// expired first, and returns them as stored: with `Flow.expiredReason`, or with
    /// `Flow.callbackInterruptedReason` when a callback took the state and left nothing (its
    /// flow lives `Flow.callbackLimit` past that, so it has stopped). What a status read would
    /// find; whoever fails a flow first counts it.
    func expireFlows(now: Date, limit: Int) async throws -> [Flow]
    /// Removes ended (or long expired) flows created before `cutoff`, except the ones a
    /// connection still names as its authorization; returns how many went.
    func deleteEndedFlows(createdBefore cutoff: Date) async throws -> Int

    // MARK: connections

    /// The connection of a user with a provider.
    func connection(userID: String, providerID: String) async throws -> Connection?
    /// One connection by id.
    func connection(id: String) async throws -> Connection?
    /// Inserts or replaces the (user, provider) connection; returns the stored row. A
    /// replacement is a new grant: it ends any refresh lease on the row, so a refresh of the old
    /// grant still in flight can neither store its tokens nor set the row's status.
    func upsertConnection(_ connection: Connection) async throws -> Connection
    /// A page of connections and the total count.
    func connections(_ query: ConnectionQuery) async throws -> (items: [Connection], total: Int)
    /// Removes a connection; returns it as it was when removed (nil: there was none), so that
    /// what is revoked at the provider is the grant's latest token set. With an `order`, a
    /// `PendingRevocation` of that token set (`PendingRevocation(of:_:)`) is written in the same
    /// transaction.
    func deleteConnection(id: String, queueing order: RevocationOrder?) async throws -> Connection?
    /// Active connections of enabled providers whose token expires before `expiringBefore`, or
    /// that were last written before `untouchedSince` (their refresh token may go idle), soonest
    /// expiry first, then by id; with `after`, only those that come after that position in that
    /// order. (An inactive provider's connections, which the sweep leaves alone, would otherwise
    /// hold the head of every batch.)
    func connectionsToRefresh(expiringBefore: Date, untouchedSince: Date, after: SweepPosition?, limit: Int)
        async throws -> [Connection]
    /// Takes the refresh lease of a connection if it is free, lapsed or `owner`'s own (one it
    /// could not release: the store was away; an owner refreshes a connection once at a time);
    /// returns the row as it stands once the lease is held, or nil when another holder has it.
    /// The lease lasts `duration` seconds. `now` is the caller's clock; a store that several
    /// hosts share may measure leases on a clock of its own (PostgreSQL's), so that hosts whose
    /// clocks disagree still keep each other out.
    func acquireRefreshLease(connectionID: String, owner: String, lasting duration: TimeInterval, now: Date)
        async throws -> Connection?
    /// Moves the lease's end to `duration` seconds from now (on the clock the lease is measured
    /// on) while `owner` holds it; returns whether it does.
    func renewRefreshLease(connectionID: String, owner: String, lasting duration: TimeInterval, now: Date)
        async throws -> Bool
    /// Stores a refreshed connection and frees the lease, only while `owner` holds it.
    func completeRefresh(_ connection: Connection, owner: String) async throws -> Connection?
    /// Frees the lease without changing the tokens, setting the status.
    func releaseRefreshLease(connectionID: String, owner: String, status: Connection.Status) async throws

    // MARK: pending revocations

    /// Adds a pending revocation unless one with its id is there. One without a
    /// `retiredProvider` whose provider id no provider has, but a deleted provider had, is sent
    /// through the last such (a grant a refresh renewed while its provider was deleted).
    func queueRevocation(_ revocation: PendingRevocation) async throws
    /// Pending revocations due at `now`, soonest first, at most `limit`, but those sent through
    /// the providers in `excluding` (by id; a deleted provider's by its `RetiredProvider.key`).
    func dueRevocations(now: Date, limit: Int, excluding: Set<String>) async throws -> [PendingRevocation]
    /// Removes a pending revocation (revoked, or given up); returns whether it was there.
    @discardableResult
    func deleteRevocation(id: String) async throws -> Bool
    /// Records a failed try: one attempt more, the next at `next`, and why.
    func postponeRevocation(id: String, until next: Date, reason: String) async throws
    /// The pending revocations per provider id: how many, and the oldest's delete time.
    func revocationBacklog() async throws -> [String: RevocationBacklog]

    // MARK: tool secrets

    /// Every tool secret, by key.
    func secrets() async throws -> [SecretRecord]
    /// Inserts or replaces the secret with this key; returns the stored row.
    func upsertSecret(_ record: SecretRecord) async throws -> SecretRecord
    /// Removes a secret by id; returns whether it existed.
    func deleteSecret(id: String) async throws -> Bool

    // MARK: root key rotation

    /// Every stored encrypted value of one kind, with its associated data.
    func sealedFields(_ kind: SealedField.Kind) async throws -> [SealedField]
    /// Replaces an encrypted value only if it is still `field.blob`; returns whether it did.
    func replaceSealedField(_ field: SealedField, with blob: [UInt8]) async throws -> Bool

    // MARK: moving an install

    /// Everything the store holds.
    func exportAll() async throws -> StoreSnapshot
    /// Writes a snapshot in one transaction; with `replacing`, everything already stored goes first.
    func importAll(_ snapshot: StoreSnapshot, replacing: Bool) async throws

    // MARK: fleet work

    /// Runs `body` unless another replica is running the job of this name; returns whether it
    /// ran. A replica that dies while running it frees the job for the others.
    func runExclusively(_ job: String, _ body: @Sendable () async throws -> Void) async throws -> Bool

    // MARK: health

    /// Answers when the store can serve; throws `storeUnavailable` when it cannot.
    func ping() async throws

    // MARK: changes

    /// Tells every replica sharing this store of a change (PostgreSQL `NOTIFY`); a store that
    /// only one process uses does nothing.
    func publish(_ change: StoreChange) async throws

    // MARK: dashboard sessions

    /// Records that a dashboard session was signed out, so its cookie (a copy included) no
    /// longer signs anyone in on any replica; `session` is the session's id, `until` when its
    /// cookie lapses anyway.
    func endDashboardSession(_ session: String, until: Date) async throws
    /// Whether the dashboard session was signed out.
    func dashboardSessionEnded(_ session: String) async throws -> Bool
    /// Forgets the sign-outs of sessions that lapsed before `before`; returns how many.
    func deleteLapsedDashboardSignOuts(before: Date) async throws -> Int

    // MARK: api keys and settings

    /// Adds an API key (its SHA-256 hash, name, role).
    func insertAPIKey(_ record: APIKeyRecord) async throws
    /// Every API key (hash, name, role, creation time), oldest first.
    func apiKeys() async throws -> [APIKeyRecord]
    /// Removes the API keys whose hash starts with `hashPrefix`; returns how many. With
    /// `keepingAnAdmin`, nil instead when that would remove the last admin key, checked in the
    /// transaction (two revocations of the last two admin keys at once take turns).
    func deleteAPIKeys(hashPrefix: String, keepingAnAdmin: Bool) async throws -> Int?
    /// The API key with this hash, if it exists.
    func apiKey(hash: String) async throws -> APIKeyRecord?
    /// The number of API keys.
    func apiKeyCount() async throws -> Int
    /// Records that the key with this hash was used at `time`, unless a later use is recorded
    /// (another replica's); nothing when there is no such key.
    func recordAPIKeyUse(hash: String, at time: Date) async throws
    /// A setting's value.
    func setting(_ key: String) async throws -> String?
    /// Writes a setting.
    func setSetting(_ key: String, value: String) async throws
    /// The settings whose key starts with `prefix`, by key.
    func settings(prefix: String) async throws -> [String: String]
    /// Removes a setting, if it is there.
    func deleteSetting(_ key: String) async throws
    /// The time on the clock every server of this store reads, where `now` is this process's:
    /// the database server's for PostgreSQL (`now` in tests that move time by hand); `now` for
    /// SQLite, whose servers share a host. What replicas compare across one another's records
    /// (the heartbeats) is measured on it, so that their own clocks need not agree.
    func sharedTime(_ now: Date) async throws -> Date
}

extension Store {
    /// Removes the API keys whose hash starts with `hashPrefix`, the last admin key too (the
    /// operator's commands on the server, which can make another); returns how many.
    package func deleteAPIKeys(hashPrefix: String) async throws -> Int {
        try await deleteAPIKeys(hashPrefix: hashPrefix, keepingAnAdmin: false) ?? 0
    }

    /// Replaces a provider; see `updateProvider(id:with:unlessConnected:basedOn:)`.
    package func updateProvider(id: String, with record: ProviderRecord) async throws -> ProviderReplacement? {
        try await updateProvider(id: id, with: record, unlessConnected: nil, basedOn: nil)
    }
}

extension Store {
    /// `consumeState(hash:now:by:)` without a server's record (tests, tools).
    package func consumeState(hash: String, now: Date) async throws -> Flow? {
        try await consumeState(hash: hash, now: now, by: nil)
    }
}
