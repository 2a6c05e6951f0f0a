import GatehouseCore
import NIOCore
import Synchronization

/// The parked `status?wait` of each open connection, so that a client that closes its side of
/// the connection ends its wait (`WaitAbandonment`) instead of leaving it parked, with its memory
/// and its place against the key's cap, until its time runs out.
final class ParkedConnections: Sendable {
    private enum Entry {
        /// A wait is parked on the connection.
        case watching(WaitAbandonment)
        /// The client closed its side before any wait was watched: every later one ends at once.
        case inputClosed
    }

    private let entries = Mutex<[ObjectIdentifier: Entry]>([:])

    /// Abandons the wait when the client of `channel` closes its side, or at once if it already
    /// has. The watch ends when the answer is ready, or when the answer is dropped unwritten
    /// (the connection closed before its head went).
    func watch(_ channel: any Channel, _ abandonment: WaitAbandonment) -> ParkingSlot {
        let key = ObjectIdentifier(channel)
        let closed = entries.withLock { entries in
            if case .inputClosed? = entries[key] { return true }
            entries[key] = .watching(abandonment)
            return false
        }
        if closed { abandonment.abandon() }
        return ParkingSlot { [self] in
            entries.withLock { entries in
                if case .watching(let watched)? = entries[key], watched === abandonment { entries[key] = nil }
            }
        }
    }

    /// The client of `channel` has closed its side (the connection stays open for the answer):
    /// its parked wait ends now, and any wait parked later on it ends at once.
    func inputClosed(_ channel: any Channel) {
        let key = ObjectIdentifier(channel)
        let watched: WaitAbandonment? = entries.withLock { entries in
            defer { entries[key] = .inputClosed }
            if case .watching(let abandonment)? = entries[key] { return abandonment }
            return nil
        }
        watched?.abandon()
    }

    /// The connection `channel` has closed: its parked wait, if any, ends now, and it is
    /// forgotten.
    func closed(_ channel: any Channel) {
        let removed = entries.withLock { $0.removeValue(forKey: ObjectIdentifier(channel)) }
        if case .watching(let abandonment)? = removed { abandonment.abandon() }
    }

    /// How many connections are remembered (for tests).
    var count: Int { entries.withLock { $0.count } }
}
