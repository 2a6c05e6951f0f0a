import GatehouseCore
import NIOCore
import Synchronization

/// The parked `status?wait` of each open connection, so that a client that closes its side of
/// the connection ends its wait (`WaitAbandonment`) instead of leaving it parked, with its memory
/// and its place against the key's cap, until its time runs out.
final class ParkedConnections: Sendable {
    private let waits = Mutex<[ObjectIdentifier: WaitAbandonment]>([:])

    /// Abandons the wait when the client of `channel` closes its side. Answers what stops
    /// watching: call it when the wait's answer is ready. A client that closed before the watch
    /// began is not caught: its wait runs its time, as every wait did before.
    func watch(_ channel: any Channel, _ abandonment: WaitAbandonment) -> @Sendable () -> Void {
        let key = ObjectIdentifier(channel)
        waits.withLock { $0[key] = abandonment }
        return { [self] in
            waits.withLock { waits in
                if waits[key] === abandonment { waits[key] = nil }
            }
        }
    }

    /// The client of `channel` has closed its side, or the connection has closed: its parked
    /// wait, if any, ends now.
    func closed(_ channel: any Channel) {
        waits.withLock { $0.removeValue(forKey: ObjectIdentifier(channel)) }?.abandon()
    }

    /// How many waits are watched (for tests).
    var count: Int { waits.withLock { $0.count } }
}
