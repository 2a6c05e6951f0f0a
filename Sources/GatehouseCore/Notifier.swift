/// Wakes long-poll waiters when a flow changes, here or in another replica.
public protocol Notifier: Sendable {
    /// Announces that the flow `id` changed.
    func notify(flowID: String) async
    /// Waits until the flow `id` changes or `timeout` passes; returns whether it changed.
    /// Call `prepare` first, re-read the flow, then `wait`, so no change is missed.
    func wait(_ ticket: NotifierTicket, timeout: Duration) async -> Bool
    /// Registers interest in a flow before its state is read.
    func prepare(flowID: String) async -> NotifierTicket
    /// Drops a ticket that will not be waited on.
    func cancel(_ ticket: NotifierTicket) async
}

/// A registration made by `Notifier.prepare`.
public struct NotifierTicket: Sendable, Hashable {
    /// The flow watched.
    public let flowID: String
    /// Unique per registration.
    public let serial: UInt64

    /// Creates a ticket.
    public init(flowID: String, serial: UInt64) {
        self.flowID = flowID
        self.serial = serial
    }
}
