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
        if settings.soleServer || flow.callbackAbandoned(now: now()) { return true }
        guard let taker = flow.stateUsedBy else { return false }
        if taker == settings.serverRecord { return true }
        guard let usedAt = flow.stateUsedAt, now().timeIntervalSince(usedAt) > RunningServer.liveFor else { return false }
        return try await !RunningServer.liveKeys(in: store, now: now()).contains(taker)
    }
}
