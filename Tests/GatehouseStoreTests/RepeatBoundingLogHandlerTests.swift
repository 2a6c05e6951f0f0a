import GatehouseTestSupport
import Logging
import Synchronization
import Testing

@testable import GatehousePostgres

/// The pool's log: a message repeated hundreds of times a second is one line per interval.
@Suite struct RepeatBoundingLogHandlerTests {
    @Test func aRepeatedMessageIsWrittenOncePerInterval() throws {
        let recorder = LogRecorder()
        let clock = Mutex(ContinuousClock.now)
        let logger = recorder.logger(level: .debug).boundingRepeats(every: .seconds(10)) { clock.withLock { $0 } }
        for _ in 0..<100 { logger.info("Connection creation failed", metadata: ["error": "53300"]) }
        logger.warning("something else")
        for _ in 0..<3 { logger.debug("a debug line") }
        #expect(
            recorder.logged.map(\.message) == ["Connection creation failed", "something else"]
                + Array(repeating: "a debug line", count: 3))
        clock.withLock { $0 += .seconds(10) }
        logger.info("Connection creation failed")
        let last = try #require(recorder.logged.last)
        #expect(last.message == "Connection creation failed" && last.metadata["unsaid_since_last"] == "99", "\(last)")
    }
}
