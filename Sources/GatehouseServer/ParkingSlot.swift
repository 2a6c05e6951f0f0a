import Synchronization

/// One parked wait held against its key's cap (`api.max_parked_waits_per_key`). It is given
/// back once: by `release()`, or when the slot is dropped, so a streamed answer whose body is
/// never written (the client left first) does not keep it.
final class ParkingSlot: Sendable {
    private let giveBack: Mutex<(@Sendable () -> Void)?>

    init(giveBack: @escaping @Sendable () -> Void) {
        self.giveBack = Mutex(giveBack)
    }

    /// Gives the wait back to the key; later calls do nothing.
    func release() {
        giveBack.withLock { taken in
            defer { taken = nil }
            return taken
        }?()
    }

    deinit { release() }
}
