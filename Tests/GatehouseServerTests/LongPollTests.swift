import GatehouseCore
import GatehouseWire
import Logging
import Synchronization
import Testing

@testable import GatehouseServer

/// A parked long-poll keeps as little as it can: the place it takes against the key's cap is
/// given back however its answer ends.
struct LongPollTests {
    @Test func aParkedWaitIsGivenBackOnceWhetherReleasedOrDropped() throws {
        var limits = RequestLimits()
        limits.maxParkedWaitsPerKey = 2
        let limiter = KeyLimiter(limits: limits)
        let key = AuthenticatedKey(id: "k1", role: .app)
        let first = try limiter.park(key)
        do {
            _ = try limiter.park(key)  // dropped at once: an answer whose body was never written
        }
        #expect(limiter.parkedWaits(of: "k1") == 1)
        let second = try limiter.park(key)
        #expect(throws: GatehouseError.self) { try limiter.park(key) }
        first.release()
        first.release()
        #expect(limiter.parkedWaits(of: "k1") == 1)
        second.release()
        #expect(limiter.parkedWaits(of: "k1") == 0)
    }

    /// The wait's answer: what the wait read; if that failed, the status read again; if that
    /// failed too, the status read before the wait. Its place is given back, and its connection
    /// no longer watched, each time, and a failed read is logged, and read again, under the
    /// request's id.
    @Test(arguments: [(true, true, "completed"), (false, true, "failed"), (false, false, "pending")])
    func aWaitAnswersTheLatestStatusItCouldRead(waitReads: Bool, rereadReads: Bool, answered: String) async throws {
        let released = Mutex(0)
        let unwatched = Mutex(0)
        let seenIDs = Mutex<[String?]>([])
        let output = LineOutput.capture()
        let poll = LongPoll(
            status: { wait in
                if wait == nil { seenIDs.withLock { $0.append(RequestCorrelation.id) } }
                if wait != nil {
                    guard waitReads else { throw GatehouseError(.storeUnavailable, "the store went away") }
                    return AuthorizationResponse(id: "ac_1", status: .completed)
                }
                guard rereadReads else { throw GatehouseError(.storeUnavailable, "the store went away") }
                return AuthorizationResponse(id: "ac_1", status: .failed)
            },
            wait: .seconds(1), before: AuthorizationResponse(id: "ac_1", status: .pending), keyStillValid: { true },
            slot: ParkingSlot { released.withLock { $0 += 1 } }, watch: ParkingSlot { unwatched.withLock { $0 += 1 } },
            requestID: "req-1",
            logger: Logger(label: "test") {
                LineLogHandler(
                    label: $0, format: .text, metadataProvider: RequestCorrelation.metadataProvider, output: output)
            })
        #expect(await poll.answer().status?.rawValue == answered)
        #expect(released.withLock { $0 } == 1)
        #expect(unwatched.withLock { $0 } == 1)
        // The status is read again (under the request's id) only when the wait's own read failed.
        #expect(seenIDs.withLock { $0 } == (waitReads ? [] : ["req-1"]))
        let logged = output.lines.contains {
            $0.contains("status read after a parked wait failed") && $0.contains("the store went away")
                && $0.contains("req-1")
        }
        #expect(logged == !waitReads)
    }

    /// An answer with a token goes only to a key that still stands, whichever read gave it: the
    /// wait's, or the read again after the wait's failed. A key that cannot be checked gets none.
    @Test(arguments: [
        (true, KeyCheck.revoked), (false, .revoked), (true, .unknown), (false, .unknown), (true, .stands),
    ])
    func aTokenGoesOnlyToAKeyThatStillStands(waitReads: Bool, key: KeyCheck) async throws {
        let completed = AuthorizationResponse(
            id: "ac_1", status: .completed, context: .init(token: "tok", userInfo: [:]))
        let output = LineOutput.capture()
        let poll = LongPoll(
            status: { wait in
                if wait != nil, !waitReads { throw GatehouseError(.storeUnavailable, "the store went away") }
                return completed
            },
            wait: .seconds(1), before: AuthorizationResponse(id: "ac_1", status: .pending),
            keyStillValid: {
                switch key {
                case .stands: return true
                case .revoked: return false
                case .unknown: throw GatehouseError(.storeUnavailable, "the store went away")
                }
            },
            slot: ParkingSlot {}, watch: ParkingSlot {}, requestID: "req-2",
            logger: Logger(label: "test") {
                LineLogHandler(
                    label: $0, format: .text, metadataProvider: RequestCorrelation.metadataProvider, output: output)
            })
        let answer = await poll.answer()
        #expect(answer.status == (key == .stands ? .completed : .pending))
        #expect((answer.context?.token != nil) == (key == .stands))
        #expect(output.lines.contains { $0.contains("answered without the token") && $0.contains("req-2") } == (key != .stands))
    }

    enum KeyCheck: Sendable { case stands, revoked, unknown }
}
