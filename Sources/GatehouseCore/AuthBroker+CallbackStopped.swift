import Foundation

// Whether the callback that took a flow's state stopped before it finished the flow.
extension AuthBroker {
    /// Whether `flow`'s callback took its state and stopped (its process ended, or it failed
    /// without failing the flow) before storing the tokens; `atWork` is whether it is at work in
    /// this process, asked before `flow` was read. At once when this process is its store's only
    /// server (SQLite) or took the state itself. On a store replicas share, once the record of
    /// the replica that took it (`Flow.stateUsedBy`) is gone or stale and `RunningServer.liveFor`
    /// has passed since the state was used, time for two of its heartbeats had it been running;
    /// without a record (a flow an older build took), `Flow.callbackLimit` after the state was used.
    func callbackStopped(_ flow: Flow, atWork: Bool) async throws -> Bool {
        guard flow.status == .pending, flow.stateUsed, flow.sealedTokens == nil, !atWork else { return false }
        if settings.soleServer || (flow.stateUsedBy.map { $0 == settings.serverRecord } ?? false) { return true }
        // Within a minute less than `liveFor` of its use by this process's clock, no judgement
        // is due yet whatever the store's clock says, unless this one runs a minute or more
        // behind (which only delays it): the store is not asked for its time on every read.
        guard let usedAt = flow.stateUsedAt, now().timeIntervalSince(usedAt) > RunningServer.liveFor - 60 else {
            return false
        }
        // The state's use and the records' times were written on the store's clock: another
        // replica's own could run ahead or behind this one's.
        let shared = try await store.sharedTime(now())
        if flow.callbackAbandoned(now: shared) { return true }
        guard let taker = flow.stateUsedBy, shared.timeIntervalSince(usedAt) > RunningServer.liveFor else { return false }
        return try await !RunningServer.liveKeys(in: store, now: shared).contains(taker)
    }
}

extension AuthBroker {
    /// `flow` read again by `reread`, when its callback stopped (`callbackStopped`) and still
    /// has once this process was asked again whether it is at work, after the first read: a
    /// callback that entered between the first question and the read is seen at work, and one
    /// that left since wrote its end first. Nil when it has not stopped.
    func stoppedCallback(
        _ flow: Flow, atWork: Bool, reread: () async throws -> Flow?
    ) async throws -> Flow? {
        guard try await callbackStopped(flow, atWork: atWork) else { return nil }
        let atWorkNow = callbacksAtWork.contains(flow.stateHash)
        guard let again = try await reread(), try await callbackStopped(again, atWork: atWorkNow) else { return nil }
        return again
    }
}
