import GatehouseCore
import Synchronization
import Testing

/// Concurrent misses share one load; a new key (a cache generation after a change) starts its own.
struct SingleFlightTests {
    final class Counter: Sendable {
        let value = Mutex(0)
    }

    @Test func concurrentCallersForOneKeyShareOneLoad() async throws {
        let flight = SingleFlight<Int, Int>()
        let loads = Counter()
        let results = try await withThrowingTaskGroup(of: Int.self) { group in
            for _ in 0..<50 {
                group.addTask {
                    try await flight.run(1) {
                        loads.value.withLock { $0 += 1 }
                        // Long enough for every caller to arrive while it runs.
                        try await Task.sleep(for: .milliseconds(300))
                        return 42
                    }
                }
            }
            return try await group.reduce(into: [Int]()) { $0.append($1) }
        }
        #expect(results == Array(repeating: 42, count: 50))
        #expect(loads.value.withLock { $0 } == 1)
        // Once it has answered, the next call loads again.
        #expect(try await flight.run(1) { 7 } == 7)
    }

    @Test func errorsReachEveryCallerAndAnotherKeyLoadsApart() async throws {
        struct Refused: Error {}
        let flight = SingleFlight<Int, Int>()
        await #expect(throws: Refused.self) { try await flight.run(1) { throw Refused() } }
        #expect(try await flight.run(2) { 2 } == 2)
    }
}
