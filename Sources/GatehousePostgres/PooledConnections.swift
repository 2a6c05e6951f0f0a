import Logging
import PostgresNIO
import Synchronization

/// The pool's connections as the store uses them, to break a stall of PostgresNIO's pool: while
/// a new connection fails to open (the database refuses more, SQLSTATE 53300 "too many
/// clients"), the pool queues every request, even with idle connections of its own, until a
/// connection opens or one in use comes back. With the database's places all taken (by idle
/// connections, this replica's among them) neither happens, and the replica answered 503 to
/// everything until the database restarted. So a request that has waited `stallAfter` for a
/// connection, while one the store gave back before it came has been idle for `idleFor`, closes
/// the idle ones: that frees places in the database, and the pool's next try to connect (at once
/// when it has no connection left below its minimum of one, else after its backoff, which grows
/// to a minute while connections fail) takes one, and its queue moves. Under ordinary load a
/// connection given back is handed out again at once, so none is idle that long while requests
/// wait.
final class PooledConnections: Sendable {
    private struct Seen {
        let connection: PostgresConnection
        var users = 1
        var idleSince: ContinuousClock.Instant?
    }

    private struct State {
        var seen: [PostgresConnection.ID: Seen] = [:]
        var waiting: [UInt64: ContinuousClock.Instant] = [:]
        var nextWait: UInt64 = 0
        var checking = false
    }

    let client: PostgresClient
    private let stallAfter: Duration
    private let idleFor: Duration
    private let logger: Logger
    private let state = Mutex(State())

    init(client: PostgresClient, stallAfter: Duration = .seconds(2), idleFor: Duration = .seconds(1), logger: Logger) {
        self.client = client
        self.stallAfter = stallAfter
        self.idleFor = idleFor
        self.logger = logger
    }

    /// Runs `body` on a pooled connection, as `PostgresClient.withConnection` does.
    func withConnection<T: Sendable>(_ body: (PostgresConnection) async throws -> T) async throws -> T {
        let wait = waitBegins()
        defer { waitEnds(wait) }
        return try await client.withConnection { connection in
            waitEnds(wait)
            taken(connection)
            defer { givenBack(connection) }
            return try await body(connection)
        }
    }

    /// Closes the connections given back `idleFor` ago or more while a request that came after
    /// them has waited `stallAfter` or more; returns how many (for tests). Only a stall leaves
    /// a request waiting that long while a connection idle since before it came sits unused: a
    /// pool that works hands an idle connection to the next request at once. (One just given
    /// back and handed out again, whose next user has not begun, shows idle here; a request that
    /// waited in the queue before it is not evidence against it.)
    @discardableResult
    func breakStall(now: ContinuousClock.Instant = .now) -> Int {
        let idle: [PostgresConnection] = state.withLock { state in
            let ids = Self.stalled(
                waitingSince: Array(state.waiting.values), idleSince: state.seen.mapValues { $0.users == 0 ? $0.idleSince : nil },
                now: now, stallAfter: stallAfter, idleFor: idleFor)
            return ids.compactMap { id in state.seen.removeValue(forKey: id)?.connection }
        }
        guard !idle.isEmpty else { return 0 }
        logger.warning(
            "closing \(idle.count) idle database connection(s): requests waited \(stallAfter.components.seconds) s for one while they were idle (the pool opens none while the database refuses new connections, SQLSTATE 53300); the pool's next connection takes a place they free",
            metadata: ["connections": "\(idle.map(\.id))"])
        for connection in idle { connection.close().whenComplete { _ in } }
        return idle.count
    }

    /// The connections to close: idle (`idleSince`, nil for one in use) for `idleFor` or more,
    /// and since before a request that has waited `stallAfter` or more came.
    static func stalled<ID>(
        waitingSince: [ContinuousClock.Instant], idleSince: [ID: ContinuousClock.Instant?], now: ContinuousClock.Instant,
        stallAfter: Duration, idleFor: Duration
    ) -> [ID] {
        guard let latest = waitingSince.filter({ $0.duration(to: now) >= stallAfter }).max() else { return [] }
        return idleSince.compactMap { id, since in
            guard let since, since <= latest, since.duration(to: now) >= idleFor else { return nil }
            return id
        }
    }

    /// How many connections the store is using now.
    var inUse: Int { state.withLock { $0.seen.values.filter { $0.users > 0 }.count } }

    /// The requests waiting for a connection now (for tests).
    var waitingCount: Int { state.withLock { $0.waiting.count } }

    private func waitBegins() -> UInt64 {
        let (token, check) = state.withLock { state -> (UInt64, Bool) in
            state.nextWait += 1
            state.waiting[state.nextWait] = .now
            defer { state.checking = true }
            return (state.nextWait, !state.checking)
        }
        if check { scheduleCheck() }
        return token
    }

    private func waitEnds(_ token: UInt64) {
        state.withLock { _ = $0.waiting.removeValue(forKey: token) }
    }

    /// Checks every half `stallAfter` while any request waits. Detached: the check is no
    /// request's, and its lines carry no request's id.
    private func scheduleCheck() {
        Task.detached { [self] in
            while true {
                try? await Task.sleep(for: stallAfter / 2)
                breakStall()
                let more = state.withLock { state in
                    state.checking = !state.waiting.isEmpty
                    return state.checking
                }
                if !more { return }
            }
        }
    }

    private func taken(_ connection: PostgresConnection) {
        let first = state.withLock { state -> Bool in
            if state.seen[connection.id] == nil {
                state.seen[connection.id] = Seen(connection: connection)
                return true
            }
            state.seen[connection.id]?.users += 1
            state.seen[connection.id]?.idleSince = nil
            return false
        }
        if first {
            connection.closeFuture.whenComplete { [self] _ in
                state.withLock { state in
                    if state.seen[connection.id]?.connection === connection { state.seen[connection.id] = nil }
                }
            }
        }
    }

    private func givenBack(_ connection: PostgresConnection) {
        state.withLock { state in
            guard var seen = state.seen[connection.id], seen.connection === connection else { return }
            seen.users -= 1
            if seen.users == 0 { seen.idleSince = .now }
            state.seen[connection.id] = seen
        }
    }
}
