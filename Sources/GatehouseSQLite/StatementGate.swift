import Synchronization

/// Shares the store's one SQLite connection: statements run side by side, a transaction runs
/// alone. Without it, a statement from another request that arrived between `BEGIN` and `COMMIT`
/// would run inside the transaction and be undone by its rollback.
///
/// A waiting transaction holds back new statements, so a steady stream of reads cannot starve
/// it; when it ends, the statements that waited run before the next transaction.
final class StatementGate: Sendable {
    private struct State {
        var running = 0
        var exclusive = false
        var waitingStatements: [CheckedContinuation<Void, Never>] = []
        var waitingTransactions: [CheckedContinuation<Void, Never>] = []
    }

    private let state = Mutex(State())

    /// Runs `body` as one statement (or a few that need not be atomic).
    func shared<T>(_ body: () async throws -> T) async throws -> T {
        let admitted = state.withLock { state -> Bool in
            guard !state.exclusive, state.waitingTransactions.isEmpty else { return false }
            state.running += 1
            return true
        }
        if !admitted {
            await withCheckedContinuation { continuation in
                let admittedNow = state.withLock { state -> Bool in
                    if !state.exclusive, state.waitingTransactions.isEmpty {
                        state.running += 1
                        return true
                    }
                    state.waitingStatements.append(continuation)
                    return false
                }
                if admittedNow { continuation.resume() }
            }
        }
        defer { leaveShared() }
        return try await body()
    }

    /// Runs `body` with the connection to itself.
    func exclusive<T>(_ body: () async throws -> T) async throws -> T {
        await withCheckedContinuation { continuation in
            let admitted = state.withLock { state -> Bool in
                if !state.exclusive, state.running == 0, state.waitingTransactions.isEmpty {
                    state.exclusive = true
                    return true
                }
                state.waitingTransactions.append(continuation)
                return false
            }
            if admitted { continuation.resume() }
        }
        defer { leaveExclusive() }
        return try await body()
    }

    private func leaveShared() {
        let next = state.withLock { state -> CheckedContinuation<Void, Never>? in
            state.running -= 1
            guard state.running == 0, !state.waitingTransactions.isEmpty else { return nil }
            state.exclusive = true
            return state.waitingTransactions.removeFirst()
        }
        next?.resume()
    }

    private func leaveExclusive() {
        let (statements, transaction) = state.withLock {
            state -> ([CheckedContinuation<Void, Never>], CheckedContinuation<Void, Never>?) in
            state.exclusive = false
            if !state.waitingStatements.isEmpty {
                let statements = state.waitingStatements
                state.waitingStatements = []
                state.running += statements.count
                return (statements, nil)
            }
            guard !state.waitingTransactions.isEmpty else { return ([], nil) }
            state.exclusive = true
            return ([], state.waitingTransactions.removeFirst())
        }
        for statement in statements { statement.resume() }
        transaction?.resume()
    }
}
