import GatehouseWire

/// The in-process notifier: an actor of waiters keyed by flow id.
///
/// A parked wait is one continuation, nothing more: no task and no timer of its own (10,000
/// parked long-polls are 10,000 continuations). One sweeper task, alive only while waits are
/// parked, ends those whose time is up, to within `tick`.
package actor LocalNotifier: Notifier {
    private enum Slot {
        case armed
        // Indirect: a slot stays small while it waits (10,000 parked waits are 10,000 slots).
        indirect case fired(answer: AuthorizationResponse?)
        case waiting(CheckedContinuation<NotifierWake, Never>, until: ContinuousClock.Instant)
    }

    private var slots: [String: [UInt64: Slot]] = [:]
    private var serial: UInt64 = 0
    private var parked = 0
    private var ended = false
    private var sweeper: Task<Void, Never>?
    private let tick: Duration

    /// Creates a notifier with no waiters; a wait ends within `tick` after its timeout.
    package init(tick: Duration = .milliseconds(50)) {
        self.tick = tick
    }

    /// Registers interest in a flow.
    package func prepare(flowID: String) -> NotifierTicket {
        serial += 1
        slots[flowID, default: [:]][serial] = .armed
        return NotifierTicket(flowID: flowID, serial: serial)
    }

    /// Wakes every waiter of the flow, handing each `answer` (nil: they read the flow again).
    package func notify(flowID: String, answer: AuthorizationResponse?) {
        guard let waiting = slots[flowID] else { return }
        for (serial, slot) in waiting {
            switch slot {
            case .armed, .fired: slots[flowID]?[serial] = .fired(answer: answer)
            case .waiting(let continuation, _):
                remove(flowID: flowID, serial: serial)
                continuation.resume(returning: .changed(answer: answer))
            }
        }
    }

    /// Wakes every waiter of every flow (after a replica may have missed changes): each
    /// re-reads its flow and parks again if nothing happened.
    package func notifyAll() {
        for flowID in Array(slots.keys) { notify(flowID: flowID, answer: nil) }
    }

    /// Ends every wait now and every later one at once (the server is shutting down): each
    /// answers with the flow's current status instead of holding the server open.
    package func endWaits() {
        ended = true
        for (flowID, waiting) in slots {
            for case let (serial, .waiting(continuation, _)) in waiting {
                remove(flowID: flowID, serial: serial)
                continuation.resume(returning: .ended)
            }
        }
    }

    /// Waits for a change or the timeout; cancellation ends the wait early.
    package func wait(_ ticket: NotifierTicket, timeout: Duration) async -> NotifierWake {
        let until = ContinuousClock.now.advanced(by: timeout)
        return await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                switch slots[ticket.flowID]?[ticket.serial] {
                case .armed? where !ended && !Task.isCancelled && timeout > .zero:
                    slots[ticket.flowID]?[ticket.serial] = .waiting(continuation, until: until)
                    parked += 1
                    if sweeper == nil { sweeper = Task { await self.sweep() } }
                case .fired(let answer)?:
                    remove(flowID: ticket.flowID, serial: ticket.serial)
                    continuation.resume(returning: .changed(answer: answer))
                default:
                    remove(flowID: ticket.flowID, serial: ticket.serial)
                    continuation.resume(returning: .ended)
                }
            }
        } onCancel: {
            Task { await self.cancel(ticket) }
        }
    }

    /// Drops a ticket; a wait parked on it ends (`.ended`).
    package func cancel(_ ticket: NotifierTicket) {
        if case .waiting(let continuation, _) = slots[ticket.flowID]?[ticket.serial] {
            continuation.resume(returning: .ended)
        }
        remove(flowID: ticket.flowID, serial: ticket.serial)
    }

    /// The number of registered waiters (for tests and metrics).
    package var waiterCount: Int { slots.values.reduce(0) { $0 + $1.count } }

    /// The number of waits parked now (for tests).
    package var parkedCount: Int { parked }

    /// Ends the waits whose time is up, every `tick`, while any are parked.
    private func sweep() async {
        while parked > 0 {
            try? await Task.sleep(for: tick)
            let now = ContinuousClock.now
            for (flowID, waiting) in slots {
                for case let (serial, .waiting(continuation, until)) in waiting where until <= now {
                    remove(flowID: flowID, serial: serial)
                    continuation.resume(returning: .ended)
                }
            }
        }
        sweeper = nil
    }

    private func remove(flowID: String, serial: UInt64) {
        guard let slot = slots[flowID]?.removeValue(forKey: serial) else { return }
        if case .waiting = slot { parked -= 1 }
        if slots[flowID]?.isEmpty == true { slots[flowID] = nil }
    }
}
