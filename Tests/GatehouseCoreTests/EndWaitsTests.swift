import Foundation
import GatehouseTestSupport
import GatehouseWire
import Logging
import Synchronization
import Testing

@testable import GatehouseCore

/// Parked waits end early: every one when the server shuts down, however many times the shutdown
/// asks for it, and one whose client has gone.
@Suite struct EndWaitsTests {
    /// The in-process notifier, counting the calls to `endWaits`.
    final class CountingNotifier: Notifier {
        let local = LocalNotifier()
        let ends = Mutex(0)

        func notify(flowID: String, answer: AuthorizationResponse?) async {
            await local.notify(flowID: flowID, answer: answer)
        }
        func wait(_ ticket: NotifierTicket, timeout: Duration) async -> NotifierWake {
            await local.wait(ticket, timeout: timeout)
        }
        func prepare(flowID: String) async -> NotifierTicket { await local.prepare(flowID: flowID) }
        func cancel(_ ticket: NotifierTicket) async { await local.cancel(ticket) }
        func endWaits() async {
            ends.withLock { $0 += 1 }
            await local.endWaits()
        }
    }

    @Test func everyParkedWaitEndsWithOneCallHoweverOftenItIsAsked() async throws {
        try await StoreBackend.withSQLite { store in
            let notifier = CountingNotifier()
            let broker = try testBroker(store: store, notifier: notifier)
            let tickets = [await notifier.prepare(flowID: "f1"), await notifier.prepare(flowID: "f2")]
            let clock = ContinuousClock()
            let started = clock.now
            async let first = notifier.wait(tickets[0], timeout: .seconds(30))
            async let second = notifier.wait(tickets[1], timeout: .seconds(30))
            #expect(try await eventually { await notifier.local.parkedCount == 2 })
            for _ in 0..<100 { broker.endWaits() }  // asked again and again: the work is done once
            let ended = await [first, second]
            #expect(ended.map(\.changed) == [false, false])
            #expect(started.duration(to: clock.now) < .seconds(10))
            // Time for any further task a call started to reach the notifier.
            try await Task.sleep(for: .milliseconds(200))
            #expect(notifier.ends.withLock { $0 } == 1)
        }
    }

    /// Abandoned while parked, or before it parks, a wait answers the flow's status now and leaves
    /// no waiter behind.
    @Test(arguments: [true, false])
    func anAbandonedWaitAnswersAtOnceAndLeavesNoWaiter(parkedFirst: Bool) async throws {
        try await StoreBackend.withSQLite { store in
            let notifier = LocalNotifier()
            let broker = try testBroker(store: store, notifier: notifier)
            var flow = makeFlow()
            flow.sealedURL = nil
            _ = try await store.insertFlowDeduplicated(flow, now: Date())
            let abandonment = WaitAbandonment()
            if !parkedFirst { abandonment.abandon() }
            let clock = ContinuousClock()
            let started = clock.now
            async let answer = broker.status(id: flow.id, wait: .seconds(30), abandonment: abandonment)
            if parkedFirst {
                while await notifier.parkedCount == 0 { try await Task.sleep(for: .milliseconds(10)) }
                abandonment.abandon()
            }
            #expect(try await answer.status == .pending)
            #expect(started.duration(to: clock.now) < .seconds(10))
            #expect(await notifier.waiterCount == 0)
        }
    }
}
