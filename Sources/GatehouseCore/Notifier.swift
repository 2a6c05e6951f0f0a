import GatehouseWire

/// Wakes long-poll waiters when a flow changes, here or in another replica.
package protocol Notifier: Sendable {
    /// Announces that the flow `id` changed. `answer`, when given, is the flow's status as the
    /// change left it: waiters in this process take it instead of reading the flow again.
    func notify(flowID: String, answer: AuthorizationResponse?) async
    /// Waits until the flow `id` changes or `timeout` passes.
    /// Call `prepare` first, re-read the flow, then `wait`, so no change is missed.
    func wait(_ ticket: NotifierTicket, timeout: Duration) async -> NotifierWake
    /// Registers interest in a flow before its state is read.
    func prepare(flowID: String) async -> NotifierTicket
    /// Drops a ticket that will not be waited on.
    func cancel(_ ticket: NotifierTicket) async
    /// Ends every parked wait, and every later one at once: the server is shutting down.
    func endWaits() async
}

extension Notifier {
    /// Announces that the flow `id` changed; waiters read it again.
    package func notify(flowID: String) async {
        await notify(flowID: flowID, answer: nil)
    }
}

/// How a wait on a `Notifier` ended.
package enum NotifierWake: Sendable {
    /// The time ran out, or the wait was dropped or ended (shutdown): the flow may not have changed.
    case ended
    /// The flow changed; `answer` is its status then when the change was made in this process.
    indirect case changed(answer: AuthorizationResponse?)
}

/// A registration made by `Notifier.prepare`.
package struct NotifierTicket: Sendable, Hashable {
    /// The flow watched.
    package let flowID: String
    /// Unique per registration.
    package let serial: UInt64

    /// Creates a ticket.
    package init(flowID: String, serial: UInt64) {
        self.flowID = flowID
        self.serial = serial
    }
}
