import Dispatch
import Foundation
import GatehouseCore
import GatehouseWire
import Testing

@testable import GatehousePostgres

/// A statement that ignores cancellation still answers its caller by the deadline.
struct DeadlineTests {
    /// Work that ignores cancellation, as a driver call on a dropped connection can: it ends
    /// only when `after` has passed.
    static func hang(_ after: Duration) async -> Int {
        await withCheckedContinuation { continuation in
            DispatchQueue.global().asyncAfter(deadline: .now() + after.timeInterval) { continuation.resume(returning: 1) }
        }
    }

    @Test func workThatIgnoresCancellationIsAnsweredAtTheDeadline() async throws {
        let started = ContinuousClock.now
        await #expect(throws: Deadline.Passed.self) {
            _ = try await Deadline.run(within: .milliseconds(50)) { await Self.hang(.seconds(10)) }
        }
        // The caller is answered long before the work ends (10 s). The bound is loose: the
        // suite runs in parallel on two cores, and a starved pool once took 2.2 s here.
        #expect(ContinuousClock.now - started < .seconds(5))
    }

    @Test func resultsAndErrorsPassThrough() async throws {
        #expect(try await Deadline.run(within: .seconds(5)) { 42 } == 42)
        struct Refused: Error {}
        await #expect(throws: Refused.self) { try await Deadline.run(within: .seconds(5)) { throw Refused() } }
    }

    @Test func cancellingTheCallerCancelsTheWait() async throws {
        let caller = Task { try await Deadline.run(within: .seconds(30)) { await Self.hang(.seconds(3)) } }
        try await Task.sleep(for: .milliseconds(50))
        let started = ContinuousClock.now
        caller.cancel()
        await #expect(throws: CancellationError.self) { try await caller.value }
        #expect(ContinuousClock.now - started < .seconds(2))
    }
}
