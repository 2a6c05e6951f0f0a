import Synchronization

/// What a parked wait holds: its place against its key's cap (`api.max_parked_waits_per_key`),
/// or its watch on its connection (`ParkedConnections`). It is given back once: by `release()`
/// when the answer is ready, or when the slot is dropped, so an answer that is never written (the
/// connection closed before its head went) does not keep it.
final class ParkingSlot: Sendable {
    private let giveBack: Mutex<(@Sendable () -> Void)?>

    init(giveBack: @escaping @Sendable () -> Void) {
        self.giveBack = Mutex(giveBack)
    }

    /// Gives back what the slot holds (the key's place, or the connection's watch); later calls do nothing.
    func release() {
        giveBack.withLock { taken in
            defer { taken = nil }
            return taken
        }?()
    }

    deinit { release() }
}
