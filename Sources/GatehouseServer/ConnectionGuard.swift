import GatehouseCore
import Hummingbird
import Logging
import NIOCore
import ServiceLifecycle
import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#else
    import Darwin
#endif

/// Counts open connections across the server and holds the limits each connection enforces.
final class ConnectionGuard: Service, Sendable {
    let limits: RequestLimits
    /// The effective cap: the configured one, lowered to fit the open-file limit.
    let maxConnections: Int
    let open = Atomic<Int>(0)
    let logger: Logger
    /// The stop's pause, from whose start every answer ends its connection; none in tests
    /// without one.
    let drain: ShutdownDrain?
    /// The parked waits of open connections, ended when their client closes its side.
    let parked = ParkedConnections()
    private let requestLog: RequestLog
    private let telemetry: Telemetry
    // Refusals over the cap: the first of a burst is said at once; after it, the service's run
    // (`tally`) says how many more came at the end of each `warningInterval`, until an interval
    // without any. One line per interval at most, where a burst wrote a line per connection, and
    // the last of a burst said within an interval of it, not held until some later refusal.
    private struct OverCap {
        var refused = 0
        var tallying = false
    }
    private let overCap = Mutex(OverCap())
    private let warningInterval: Duration
    private let tallies: AsyncStream<Void>
    private let startTally: AsyncStream<Void>.Continuation

    init(
        limits: RequestLimits, logger: Logger, requestLog: RequestLog = .off, telemetry: Telemetry = .none,
        drain: ShutdownDrain? = nil, warningInterval: Duration = .seconds(10)
    ) {
        self.drain = drain
        self.warningInterval = warningInterval
        (tallies, startTally) = AsyncStream.makeStream(bufferingPolicy: .bufferingNewest(1))
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

    /// A connection refused over the cap: counted, and said at once when no tally is under way
    /// (then one starts), else by the tally.
    func recordRefusedOverCap() {
        telemetry.connectionRefusedOverCap()
        let first = overCap.withLock { state in
            guard !state.tallying else {
                state.refused += 1
                return false
            }
            state.tallying = true
            return true
        }
        guard first else { return }
        warnOverCap(1)
        startTally.yield()
    }

    /// Whether refusals are being tallied: false again after an interval without any.
    var tallying: Bool { overCap.withLock { $0.tallying } }

    /// Says the refusals of each interval at its end while they go on, whenever a burst starts,
    /// until shutdown.
    func run() async throws {
        await cancelWhenGracefulShutdown {
            for await _ in self.tallies {
                while true {
                    do {
                        try await Task.sleep(for: self.warningInterval)
                    } catch {
                        return
                    }
                    let refused = self.overCap.withLock { state in
                        defer { state.refused = 0 }
                        // A quiet interval ends the tally: the next refusal is said at once.
                        if state.refused == 0 { state.tallying = false }
                        return state.refused
                    }
                    guard refused > 0 else { break }
                    self.warnOverCap(refused)
                }
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
