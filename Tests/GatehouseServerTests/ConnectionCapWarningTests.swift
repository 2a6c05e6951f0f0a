import Foundation
import GatehouseTestSupport
import Logging
import Testing

@testable import GatehouseServer

/// Refusals over the connection cap are said at most once per interval, and the count of the
/// last burst is said at the end of its interval, not held until some later refusal.
@Suite struct ConnectionCapWarningTests {
    func warnings(_ log: LogRecorder) -> [String] {
        log.logged.filter { $0.message.hasPrefix("connections refused") }.map { $0.metadata["refused"] ?? "?" }
    }

    @Test func aBurstIsSaidOnceAndItsRestAtTheEndOfTheInterval() async throws {
        let log = LogRecorder()
        let connections = ConnectionGuard(
            limits: RequestLimits(), logger: log.logger(), warningInterval: .milliseconds(300))
        let running = Task { try await connections.run() }
        defer { running.cancel() }
        for _ in 0..<5 { connections.recordRefusedOverCap() }
        #expect(warnings(log) == ["1"])
        // The other four, with no refusal after them, said when the interval ends.
        #expect(try await eventually { warnings(log).count == 2 })
        #expect(warnings(log) == ["1", "4"])
        // A quiet interval ends the tally; the next refusal is said at once.
        #expect(try await eventually { !connections.tallying })
        #expect(warnings(log) == ["1", "4"])
        connections.recordRefusedOverCap()
        #expect(warnings(log) == ["1", "4", "1"])
        // Nothing came after it: its tally ends without a line.
        #expect(try await eventually { !connections.tallying })
        #expect(warnings(log) == ["1", "4", "1"])
    }
}
