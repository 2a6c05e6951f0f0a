import Synchronization

/// The callbacks this process is running, by their state's hash: what a reload of the callback
/// asks to know whether the first arrival is still at work. Counted, since a second arrival of
/// the same link also enters while it finds the state used; an entry lasts as long as its call.
final class CallbacksAtWork: Sendable {
    private let running = Mutex<[String: Int]>([:])

    /// Counts a callback with this state as at work, until `leave`.
    func enter(_ stateHash: String) {
        running.withLock { $0[stateHash, default: 0] += 1 }
    }

    /// Ends what `enter` began.
    func leave(_ stateHash: String) {
        running.withLock { running in
            let count = running[stateHash, default: 1]
            running[stateHash] = count > 1 ? count - 1 : nil
        }
    }

    /// Whether a callback with this state is at work here.
    func contains(_ stateHash: String) -> Bool {
        running.withLock { $0[stateHash] != nil }
    }
}
