import Foundation
import GatehouseCore
import GatehouseTestSupport
import Synchronization
import Testing

/// In an outage every request fails the same way: the line is said once per interval and kind,
/// with how many went unsaid, not once per request.
@Suite struct BoundedLogTests {
    enum Trouble: Hashable, Sendable { case unreachable, noAnswer }

    /// A clock moved by hand.
    final class Clock: Sendable {
        let start = ContinuousClock.now
        let offset = Mutex(Duration.zero)
        var now: ContinuousClock.Instant { start + offset.withLock { $0 } }
        func advance(_ by: Duration) { offset.withLock { $0 += by } }
    }

    @Test func eachKindIsSaidOncePerIntervalWithHowManyWentUnsaid() {
        let clock = Clock()
        let log = BoundedLog<Trouble>(interval: .seconds(10), now: { clock.now })
        let recorder = LogRecorder()
        let logger = recorder.logger()
        for _ in 0..<50 { log.log(.unreachable, "database unreachable", metadata: ["error": "x"], logger: logger) }
        log.log(.noAnswer, "a database statement had no answer within 5 s", logger: logger)
        clock.advance(.seconds(9))
        log.log(.unreachable, "database unreachable", logger: logger)
        #expect(recorder.logged.map(\.message) == ["database unreachable", "a database statement had no answer within 5 s"])
        clock.advance(.seconds(2))
        log.log(.unreachable, "database unreachable", metadata: ["error": "y"], logger: logger)
        let last = recorder.logged.last
        #expect(recorder.logged.count == 3 && last?.level == .warning)
        #expect(last?.metadata == ["error": "y", "unsaid_since_last": "50"])
        // A new outage after a quiet interval is said at once, with nothing unsaid.
        clock.advance(.seconds(60))
        log.log(.unreachable, "database unreachable", logger: logger)
        #expect(recorder.logged.count == 4 && recorder.logged.last?.metadata == [:])
        log.log(.noAnswer, level: .error, "said at its level", logger: logger)
        #expect(recorder.logged.last?.level == .error)
    }
}
