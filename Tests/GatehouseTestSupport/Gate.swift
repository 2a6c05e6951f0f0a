import Synchronization

/// Holds the tasks that reach `wait()` until a test calls `open()`; once open, it lets every
/// later one through at once.
package final class Gate: Sendable {
    private struct State {
        var open = false
        var arrivals = 0
        var waiting: [CheckedContinuation<Void, Never>] = []
    }
    private let state = Mutex(State())

    /// A closed gate.
    package init() {}

    /// How many tasks reached the gate, open or not.
    package var arrivals: Int { state.withLock { $0.arrivals } }

    /// Returns once the gate is open.
    package func wait() async {
        await withCheckedContinuation { continuation in
            let open = state.withLock { state in
                state.arrivals += 1
                if !state.open { state.waiting.append(continuation) }
                return state.open
            }
            if open { continuation.resume() }
        }
    }

    /// Lets the waiting tasks, and every later one, go on.
    package func open() {
        let waiting = state.withLock { state in
            state.open = true
            defer { state.waiting = [] }
            return state.waiting
        }
        for continuation in waiting { continuation.resume() }
    }
}
