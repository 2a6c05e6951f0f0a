import GatehouseWire

/// The notifier of a replica that shares its store: waiters park here, in this process; a
/// change is announced to the other replicas through the store, and what they announce comes
/// back through the `ChangeHub` (the replica's own announcements too, which only wake twice).
package struct FleetNotifier: Notifier {
    let local: LocalNotifier
    let store: any Store

    /// A notifier over `local` that also publishes through `store`; wire `hub` to wake it.
    package init(local: LocalNotifier = LocalNotifier(), store: any Store, hub: ChangeHub) {
        self.local = local
        self.store = store
        hub.register { [local] change in
            switch change {
            case .flow(let id): await local.notify(flowID: id, answer: nil)
            case .everything: await local.notifyAll()
            case .providers, .apiKeys, .connection, .channelLost: break
            }
        }
    }

    /// Wakes this process's waits on the flow with `answer`, and tells the other replicas.
    package func notify(flowID: String, answer: AuthorizationResponse?) async {
        await local.notify(flowID: flowID, answer: answer)
        // Best effort: a replica that misses this re-checks when its wait ends, as before.
        try? await store.publish(.flow(flowID))
    }

    /// Waits here; another replica's change reaches it through the hub.
    package func wait(_ ticket: NotifierTicket, timeout: Duration) async -> NotifierWake {
        await local.wait(ticket, timeout: timeout)
    }

    /// Registers a wait before the flow is read, so that no change between the two is missed.
    package func prepare(flowID: String) async -> NotifierTicket {
        await local.prepare(flowID: flowID)
    }

    /// Ends a wait, answering it as ended if it is parked.
    package func cancel(_ ticket: NotifierTicket) async {
        await local.cancel(ticket)
    }

    /// Ends every wait of this process now, and every later one at once (shutdown).
    package func endWaits() async {
        await local.endWaits()
    }
}
