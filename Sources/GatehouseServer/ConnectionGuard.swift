import GatehouseCore
import Hummingbird
import Logging
import NIOCore
import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#else
    import Darwin
#endif

/// Counts open connections across the server and holds the limits each connection enforces.
final class ConnectionGuard: Sendable {
    let limits: RequestLimits
    /// The effective cap: the configured one, lowered to fit the open-file limit.
    let maxConnections: Int
    let open = Atomic<Int>(0)
    let logger: Logger
    /// The parked waits of open connections, ended when their client closes its side.
    let parked = ParkedConnections()
    private let requestLog: RequestLog
    private let telemetry: Telemetry
    // Refusals over the cap since the last warning, and when that was: one line per
    // `warningInterval` at most, where a burst past the cap wrote a line per connection. While
    // `tallying`, a task says the refusals left over at the end of each interval, so the last
    // burst's count is not held back until the next refusal, however much later that comes.
    private struct OverCap {
        var refused = 0
        var warned: ContinuousClock.Instant?
        var tallying = false
    }
    private let overCap = Mutex(OverCap())
    private let warningInterval: Duration

    init(
        limits: RequestLimits, logger: Logger, requestLog: RequestLog = .off, telemetry: Telemetry = .none,
        warningInterval: Duration = .seconds(10)
    ) {
        self.warningInterval = warningInterval
        self.limits = limits
        self.logger = logger
        self.requestLog = requestLog
        self.telemetry = telemetry
        self.maxConnections = min(limits.maxConnections, Self.connectionBudget())
    }

    /// Raises the soft open-file limit to the hard one, and returns how many connections fit
    /// under it with room left for the database, provider calls and logs. Past the limit,
    /// `accept` fails and the server spins; the cap refuses before that.
    static func connectionBudget() -> Int {
        #if canImport(Glibc)
            let resource = Int32(RLIMIT_NOFILE.rawValue)
        #else
            let resource = RLIMIT_NOFILE
        #endif
        var limit = rlimit()
        guard getrlimit(resource, &limit) == 0 else { return 1024 }
        if limit.rlim_cur < limit.rlim_max {
            var raised = limit
            raised.rlim_cur = limit.rlim_max
            if setrlimit(resource, &raised) == 0 { limit = raised }
        }
        let files = Int(clamping: limit.rlim_cur)
        return max(8, files - max(64, files / 8))
    }

    /// The request line and count of a request the HTTP parser refused in its head, which no
    /// middleware sees: as `RequestObserverMiddleware` writes them for every other request, under
    /// the route `unreadable`, with its duration counted from the refusal. Returns the request id
    /// it gave.
    func recordUnreadable(status: Int, since refused: NIODeadline) -> String {
        let duration = Duration.nanoseconds((NIODeadline.now() - refused).nanoseconds)
        telemetry.request(method: "other", route: "unreadable", status: status, duration: duration)
        let milliseconds = Double(duration.nanoseconds / 1000) / 1000
        let id = RequestID().description
        requestLog.record(method: "-", route: "unreadable", status: status, milliseconds: milliseconds, requestID: id)
        return id
    }

    /// A connection refused over the cap: counted, and said at most once per `warningInterval`
    /// with how many were refused since the last time.
    func recordRefusedOverCap() {
        telemetry.connectionRefusedOverCap()
        let now = ContinuousClock.now
        let (refused, tally): (Int?, Bool) = overCap.withLock { state in
            state.refused += 1
            if let warned = state.warned, warned.duration(to: now) < warningInterval { return (nil, false) }
            defer {
                state.refused = 0
                state.warned = now
                state.tallying = true
            }
            return (state.refused, !state.tallying)
        }
        if let refused { warnOverCap(refused) }
        if tally { tallyOverCap() }
    }

    /// At the end of each interval, says the refusals since the last warning; stops after an
    /// interval without any (the next refusal then warns at once).
    private func tallyOverCap() {
        Task { [self] in
            while true {
                try? await Task.sleep(for: warningInterval)
                let refused = overCap.withLock { state in
                    let refused = state.refused
                    if refused > 0 {
                        state.refused = 0
                        state.warned = ContinuousClock.now
                    } else {
                        // `warned` stays an interval old: the next refusal warns at once.
                        state.tallying = false
                    }
                    return refused
                }
                guard refused > 0 else { return }
                warnOverCap(refused)
            }
        }
    }

    private func warnOverCap(_ refused: Int) {
        logger.warning(
            "connections refused: open connection cap reached",
            metadata: [
                "cap": "\(maxConnections)", "refused": "\(refused)",
                "next_said_in": "\(Int(warningInterval.timeInterval))s",
            ])
    }

    /// The handler for one new connection.
    func handler() -> ConnectionGuardHandler {
        ConnectionGuardHandler(guard: self)
    }
}
