import Foundation
import GatehouseCore

/// A store that forwards every call to `base`. A test makes a call fail before it reaches the
/// store (`before`, given the method's name; overloads share it), or after it did its work, as if
/// its answer was lost (`after`); and holds a refresh at the lease, or replaces the refresh's
/// write-back, a flow's update or its completion, through the hooks for those four (which do not
/// run `before` and `after`).
package final class InterposedStore: Store {
    /// What `acquireRefreshLease` does instead: given the connection's id and the real store's call.
    package typealias Acquiring = @Sendable (String, () async throws -> Connection?) async throws -> Connection?
    /// What `completeRefresh` does instead: given the call's arguments and the real store.
    package typealias Completing = @Sendable (Connection, String, any Store) async throws -> Connection?
    /// What `updateFlow` does instead: given the flow and the real store's call.
    package typealias UpdatingFlow = @Sendable (Flow, () async throws -> Flow?) async throws -> Flow?
    /// What `completeFlow` does instead: given the flow and the real store's call.
    package typealias CompletingFlow = @Sendable (Flow, () async throws -> Connection?) async throws -> Connection?

    /// Runs before and after a forwarded call, given the method's name (`"deleteProvider"`).
    package typealias Step = @Sendable (String) async throws -> Void

    let base: any Store
    let before: Step
    let after: Step
    let acquiring: Acquiring
    let completing: Completing
    let updatingFlow: UpdatingFlow
    let completingFlow: CompletingFlow

    /// Wraps `base`.
    package init(
        _ base: any Store, before: Step? = nil, after: Step? = nil, acquiring: Acquiring? = nil, completing: Completing? = nil,
        updatingFlow: UpdatingFlow? = nil, completingFlow: CompletingFlow? = nil
    ) {
        self.base = base
        self.before = before ?? { _ in }
        self.after = after ?? { _ in }
        self.acquiring = acquiring ?? { _, call in try await call() }
        self.completing = completing ?? { connection, owner, base in try await base.completeRefresh(connection, owner: owner) }
        self.updatingFlow = updatingFlow ?? { _, call in try await call() }
        self.completingFlow = completingFlow ?? { _, call in try await call() }
    }

    /// Runs `call` between `before` and `after`, given the method's name.
    func forward<T>(_ name: String, _ call: () async throws -> T) async throws -> T {
        try await before(name)
        let result = try await call()
        try await after(name)
        return result
    }

    package func providers() async throws -> [ProviderRecord] {
        try await forward("providers") { try await base.providers() }
    }

    package func provider(id: String) async throws -> ProviderRecord? {
        try await forward("provider") { try await base.provider(id: id) }
    }

    package func insertProvider(_ record: ProviderRecord) async throws {
        try await forward("insertProvider") { try await base.insertProvider(record) }
    }

    package func updateProvider(
        id: String, with record: ProviderRecord, unlessConnected refusal: GatehouseError?, basedOn: Date?
    ) async throws -> ProviderReplacement? {
        try await forward("updateProvider") {
            try await base.updateProvider(id: id, with: record, unlessConnected: refusal, basedOn: basedOn)
        }
    }

    package func upsertProvider(_ record: ProviderRecord) async throws -> ProviderReplacement {
        try await forward("upsertProvider") { try await base.upsertProvider(record) }
    }

    package func deleteProvider(id: String, revokingAt deletedAt: Date?) async throws -> ProviderRecord? {
        try await forward("deleteProvider") { try await base.deleteProvider(id: id, revokingAt: deletedAt) }
    }

    package func retiredProvider(key: String) async throws -> RetiredProvider? {
        try await forward("retiredProvider") { try await base.retiredProvider(key: key) }
    }

    package func dropRetiredProviders() async throws -> Int {
        try await forward("dropRetiredProviders") { try await base.dropRetiredProviders() }
    }

    package func insertFlowDeduplicated(_ flow: Flow, now: Date) async throws -> Flow {
        try await forward("insertFlowDeduplicated") { try await base.insertFlowDeduplicated(flow, now: now) }
    }

    package func flow(id: String) async throws -> Flow? {
        try await forward("flow") { try await base.flow(id: id) }
    }

    package func flow(verificationHash: String) async throws -> Flow? {
        try await forward("flow") { try await base.flow(verificationHash: verificationHash) }
    }

    package func flow(stateHash: String) async throws -> Flow? {
        try await forward("flow") { try await base.flow(stateHash: stateHash) }
    }

    package func consumeState(hash: String, now: Date, by server: String?) async throws -> Flow? {
        try await forward("consumeState") { try await base.consumeState(hash: hash, now: now, by: server) }
    }

    package func openFlows(now: Date, limit: Int) async throws -> [Flow] {
        try await forward("openFlows") { try await base.openFlows(now: now, limit: limit) }
    }

    package func updateFlow(_ flow: Flow, expectedVersion: Int) async throws -> Flow? {
        try await updatingFlow(flow) { [base] in try await base.updateFlow(flow, expectedVersion: expectedVersion) }
    }

    package func completeFlow(_ flow: Flow, expectedVersion: Int, connection: Connection) async throws -> Connection? {
        try await completingFlow(flow) { [base] in
            try await base.completeFlow(flow, expectedVersion: expectedVersion, connection: connection)
        }
    }

    package func expireFlows(now: Date, limit: Int) async throws -> [Flow] {
        try await forward("expireFlows") { try await base.expireFlows(now: now, limit: limit) }
    }

    package func deleteEndedFlows(createdBefore cutoff: Date) async throws -> Int {
        try await forward("deleteEndedFlows") { try await base.deleteEndedFlows(createdBefore: cutoff) }
    }

    package func connection(userID: String, providerID: String) async throws -> Connection? {
        try await forward("connection") { try await base.connection(userID: userID, providerID: providerID) }
    }

    package func connection(id: String) async throws -> Connection? {
        try await forward("connection") { try await base.connection(id: id) }
    }

    package func upsertConnection(_ connection: Connection) async throws -> Connection {
        try await forward("upsertConnection") { try await base.upsertConnection(connection) }
    }

    package func connections(_ query: ConnectionQuery) async throws -> (items: [Connection], total: Int) {
        try await forward("connections") { try await base.connections(query) }
    }

    package func deleteConnection(id: String, queueing order: RevocationOrder?) async throws -> Connection? {
        try await forward("deleteConnection") { try await base.deleteConnection(id: id, queueing: order) }
    }

    package func queueRevocation(_ revocation: PendingRevocation) async throws {
        try await forward("queueRevocation") { try await base.queueRevocation(revocation) }
    }

    package func dueRevocations(now: Date, limit: Int, excluding: Set<String>) async throws -> [PendingRevocation] {
        try await forward("dueRevocations") { try await base.dueRevocations(now: now, limit: limit, excluding: excluding) }
    }

    package func deleteRevocation(id: String) async throws -> Bool {
        try await forward("deleteRevocation") { try await base.deleteRevocation(id: id) }
    }

    package func postponeRevocation(id: String, until next: Date, reason: String) async throws {
        try await forward("postponeRevocation") { try await base.postponeRevocation(id: id, until: next, reason: reason) }
    }

    package func revocationBacklog() async throws -> [String: RevocationBacklog] {
        try await forward("revocationBacklog") { try await base.revocationBacklog() }
    }

    package func connectionsToRefresh(expiringBefore: Date, untouchedSince: Date, after: SweepPosition?, limit: Int)
        async throws -> [Connection]
    {
        try await forward("connectionsToRefresh") {
            try await base.connectionsToRefresh(
                expiringBefore: expiringBefore, untouchedSince: untouchedSince, after: after, limit: limit)
        }
    }

    package func acquireRefreshLease(connectionID: String, owner: String, lasting duration: TimeInterval, now: Date)
        async throws -> Connection?
    {
        try await acquiring(connectionID) { [base] in
            try await base.acquireRefreshLease(connectionID: connectionID, owner: owner, lasting: duration, now: now)
        }
    }

    package func renewRefreshLease(connectionID: String, owner: String, lasting duration: TimeInterval, now: Date)
        async throws -> Bool
    {
        try await forward("renewRefreshLease") {
            try await base.renewRefreshLease(connectionID: connectionID, owner: owner, lasting: duration, now: now)
        }
    }

    package func completeRefresh(_ connection: Connection, owner: String) async throws -> Connection? {
        try await completing(connection, owner, base)
    }

    package func releaseRefreshLease(connectionID: String, owner: String, status: Connection.Status) async throws {
        try await forward("releaseRefreshLease") {
            try await base.releaseRefreshLease(connectionID: connectionID, owner: owner, status: status)
        }
    }

    package func secrets() async throws -> [SecretRecord] {
        try await forward("secrets") { try await base.secrets() }
    }

    package func upsertSecret(_ record: SecretRecord) async throws -> SecretRecord {
        try await forward("upsertSecret") { try await base.upsertSecret(record) }
    }

    package func deleteSecret(id: String) async throws -> Bool {
        try await forward("deleteSecret") { try await base.deleteSecret(id: id) }
    }

    package func sealedFields(_ kind: SealedField.Kind) async throws -> [SealedField] {
        try await forward("sealedFields") { try await base.sealedFields(kind) }
    }

    package func replaceSealedField(_ field: SealedField, with blob: [UInt8]) async throws -> Bool {
        try await forward("replaceSealedField") { try await base.replaceSealedField(field, with: blob) }
    }

    package func exportAll() async throws -> StoreSnapshot {
        try await forward("exportAll") { try await base.exportAll() }
    }

    package func importAll(_ snapshot: StoreSnapshot, replacing: Bool) async throws {
        try await forward("importAll") { try await base.importAll(snapshot, replacing: replacing) }
    }

    package func runExclusively(_ job: String, _ body: @Sendable () async throws -> Void) async throws -> Bool {
        try await forward("runExclusively") { try await base.runExclusively(job, body) }
    }

    package func ping() async throws {
        try await forward("ping") { try await base.ping() }
    }

    package func publish(_ change: StoreChange) async throws {
        try await forward("publish") { try await base.publish(change) }
    }

    package func endDashboardSession(_ session: String, until: Date) async throws {
        try await forward("endDashboardSession") { try await base.endDashboardSession(session, until: until) }
    }

    package func dashboardSessionEnded(_ session: String) async throws -> Bool {
        try await forward("dashboardSessionEnded") { try await base.dashboardSessionEnded(session) }
    }

    package func deleteLapsedDashboardSignOuts(before: Date) async throws -> Int {
        try await forward("deleteLapsedDashboardSignOuts") { try await base.deleteLapsedDashboardSignOuts(before: before) }
    }
}
