/// The in-process notifier: an actor of waiters keyed by flow id.
package actor LocalNotifier: Notifier {
    private enum Slot {
        case armed
        case fired
        case waiting(CheckedContinuation<Bool, Never>)
    }

    private var slots: [String: [UInt64: Slot]] = [:]
    private var serial: UInt64 = 0

    /// Creates a notifier with no waiters.
    package init() {}

    /// Registers interest in a flow.
    package func prepare(flowID: String) -> NotifierTicket {
        serial += 1
        slots[flowID, default: [:]][serial] = .armed
        return NotifierTicket(flowID: flowID, serial: serial)
    }

    /// Wakes every waiter of the flow.
    package func notify(flowID: String) {
        guard let waiting = slots[flowID] else { return }
        for (serial, slot) in waiting {
            switch slot {
            case .armed: slots[flowID]?[serial] = .fired
            case .fired: break
            case .waiting(let continuation):
                slots[flowID]?[serial] = nil
                continuation.resume(returning: true)
            }
        }
        if slots[flowID]?.isEmpty == true { slots[flowID] = nil }
    }

    /// Wakes every waiter of every flow (after a replica may have missed changes): each
    /// re-reads its flow and parks again if nothing happened.
    package func notifyAll() {
        for flowID in Array(slots.keys) { notify(flowID: flowID) }
    }

    /// Waits for a change or the timeout; cancellation ends the wait early.
    package func wait(_ ticket: NotifierTicket, timeout: Duration) async -> Bool {
        if case .fired = slots[ticket.flowID]?[ticket.serial] {
            remove(ticket)
            return true
        }
        guard slots[ticket.flowID]?[ticket.serial] != nil else { return false }
        return await withTaskGroup(of: Bool.self) { group in
            group.addTask { await self.park(ticket) }
            // The timer also ends the wait on cancellation: a cancelled sleep returns at once.
            group.addTask {
                try? await Task.sleep(for: timeout)
                await self.expire(ticket)
                return false
            }
            let first = await group.next() ?? false
            group.cancelAll()
            return first
        }
    }

    /// Drops a ticket.
    package func cancel(_ ticket: NotifierTicket) {
        expire(ticket)
    }

    /// The number of registered waiters (for tests and metrics).
    package var waiterCount: Int { slots.values.reduce(0) { $0 + $1.count } }

    private func park(_ ticket: NotifierTicket) async -> Bool {
        await withCheckedContinuation { continuation in
            switch slots[ticket.flowID]?[ticket.serial] {
            case .armed?: slots[ticket.flowID]?[ticket.serial] = .waiting(continuation)
            case .fired?:
                remove(ticket)
                continuation.resume(returning: true)
            default: continuation.resume(returning: false)
            }
        }
    }

    private func expire(_ ticket: NotifierTicket) {
        if case .waiting(let continuation) = slots[ticket.flowID]?[ticket.serial] {
            continuation.resume(returning: false)
        }
        remove(ticket)
    }

    private func remove(_ ticket: NotifierTicket) {
        slots[ticket.flowID]?[ticket.serial] = nil
        if slots[ticket.flowID]?.isEmpty == true { slots[ticket.flowID] = nil }
    }
}
