import Synchronization

/// Ends a parked `status?wait` from outside its task, as if its time had run out: its client
/// has gone, or has stopped sending.
///
/// The server does not end a request when its connection closes, so without this a wait whose
/// client left held its memory and its place against the key's cap until its time ran out (up to
/// 59 s). The connection's handler calls `abandon()` when the client closes its side; the wait
/// drops its notifier ticket and answers with the flow's status now. A client that only
/// half-closed, and still reads, gets that answer, as it would at the end of the wait.
package final class WaitAbandonment: Sendable {
    private enum State {
        case watching((@Sendable () -> Void)?)
        case abandoned
    }

    private let state = Mutex(State.watching(nil))

    /// A wait that has not been abandoned.
    package init() {}

    /// Whether `abandon()` has been called.
    package var isAbandoned: Bool {
        state.withLock { if case .abandoned = $0 { true } else { false } }
    }

    /// Abandons the wait: runs the handler given to `onAbandon`, once.
    package func abandon() {
        let handler: (@Sendable () -> Void)? = state.withLock { state in
            guard case .watching(let handler) = state else { return nil }
            state = .abandoned
            return handler
        }
        handler?()
    }

    /// Runs `handler` when the wait is abandoned, or at once if it already was. It replaces the
    /// handler given before: a wait that parks again watches its new notifier ticket.
    func onAbandon(_ handler: @escaping @Sendable () -> Void) {
        let abandoned = state.withLock { state in
            guard case .watching = state else { return true }
            state = .watching(handler)
            return false
        }
        if abandoned { handler() }
    }
}
