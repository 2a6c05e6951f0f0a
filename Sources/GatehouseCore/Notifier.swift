/// Wakes long-poll waiters when a flow changes, here or in another replica.
package protocol Notifier: Sendable {
    /// Announces that the flow `id` changed.
    func notify(flowID: String) async
    /// Waits until the flow `id` changes or `timeout` passes; returns whether it changed.
    /// Call `prepare` first, re-read the flow, then `wait`, so no change is missed.
    func wait(_ ticket: NotifierTicket, timeout: Duration) async -> Bool
    /// Registers interest in a flow before its state is read.
    func prepare(flowID: String) async -> NotifierTicket
    /// Drops a ticket that will not be waited on.
    func cancel(_ ticket: NotifierTicket) async
    /// Ends every parked wait, and every later one at once: the server is shutting down.
    func endWaits() async
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
