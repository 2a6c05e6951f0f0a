import GatehouseTestSupport
import GatehouseWire
import Testing

@testable import GatehouseCore

extension NotifierWake {
    /// Whether the flow changed (the tests ask only that; the broker matches the cases).
    var changed: Bool {
        if case .changed = self { return true }
        return false
    }
}

@Suite struct LocalNotifierTests {
    @Test func aWaiterWakesOnNotify() async throws {
        let notifier = LocalNotifier()
        let ticket = await notifier.prepare(flowID: "f")
        async let woke = notifier.wait(ticket, timeout: .seconds(30))
        #expect(try await eventually { await notifier.parkedCount == 1 })
        await notifier.notify(flowID: "f")
        #expect(await woke.changed)
        #expect(await notifier.waiterCount == 0)
    }

    /// A change made here hands its answer to the waits: parked, and prepared but not parked yet.
    @Test func theAnswerOfAChangeGoesToEveryWaiter() async throws {
        let notifier = LocalNotifier()
        let parkedTicket = await notifier.prepare(flowID: "f")
        let preparedTicket = await notifier.prepare(flowID: "f")
        async let parked = notifier.wait(parkedTicket, timeout: .seconds(30))
        #expect(try await eventually { await notifier.parkedCount == 1 })
        let answer = AuthorizationResponse(id: "f", status: .completed, userID: "u")
        await notifier.notify(flowID: "f", answer: answer)
        let prepared = await notifier.wait(preparedTicket, timeout: .seconds(30))
        for wake in [await parked, prepared] {
            guard case .changed(let handed?) = wake else {
                Issue.record("woke without the answer: \(wake)")
                continue
            }
            #expect(handed.id == "f" && handed.status == .completed && handed.userID == "u")
        }
        #expect(await notifier.waiterCount == 0)
    }

    @Test func aWaitTimesOut() async {
        let notifier = LocalNotifier()
        let ticket = await notifier.prepare(flowID: "f")
        let clock = ContinuousClock()
        let started = clock.now
        #expect(await !notifier.wait(ticket, timeout: .milliseconds(100)).changed)
        #expect(started.duration(to: clock.now) >= .milliseconds(100))
        #expect(await notifier.waiterCount == 0)
    }

    @Test func aNotifyBetweenPrepareAndWaitIsNotLost() async {
        let notifier = LocalNotifier()
        let ticket = await notifier.prepare(flowID: "f")
        await notifier.notify(flowID: "f")
        #expect(await notifier.wait(ticket, timeout: .seconds(30)).changed)
    }

    @Test func otherFlowsDoNotWake() async {
        let notifier = LocalNotifier()
        let ticket = await notifier.prepare(flowID: "f")
        await notifier.notify(flowID: "g")
        #expect(await !notifier.wait(ticket, timeout: .milliseconds(50)).changed)
    }
}

@Suite struct LocalNotifierEndingTests {
    @Test func endingWaitsAnswersTheParkedAndEveryLaterOneAtOnce() async throws {
        let notifier = LocalNotifier()
        let ticket = await notifier.prepare(flowID: "f")
        async let parked = notifier.wait(ticket, timeout: .seconds(30))
        #expect(try await eventually { await notifier.parkedCount == 1 })
        let clock = ContinuousClock()
        let started = clock.now
        await notifier.endWaits()
        #expect(await !parked.changed)
        let later = await notifier.prepare(flowID: "g")
        #expect(await !notifier.wait(later, timeout: .seconds(30)).changed)
        #expect(started.duration(to: clock.now) < .seconds(5))
        #expect(await notifier.waiterCount == 0)
    }

    @Test func cancellingTheWaiterEndsItsWait() async throws {
        let notifier = LocalNotifier()
        let ticket = await notifier.prepare(flowID: "f")
        let waiter = Task { await notifier.wait(ticket, timeout: .seconds(30)) }
        #expect(try await eventually { await notifier.parkedCount == 1 })
        let clock = ContinuousClock()
        let started = clock.now
        waiter.cancel()
        #expect(await !waiter.value.changed)
        #expect(started.duration(to: clock.now) < .seconds(5))
        #expect(await notifier.waiterCount == 0)
    }

    @Test func manyWaitsTimeOutTogetherWithoutATaskEach() async {
        let notifier = LocalNotifier(tick: .milliseconds(10))
        let results = await withTaskGroup(of: Bool.self) { group in
            for n in 0..<500 {
                group.addTask {
                    let ticket = await notifier.prepare(flowID: "f\(n % 7)")
                    return await notifier.wait(ticket, timeout: .milliseconds(100)).changed
                }
            }
            return await group.reduce(into: [Bool]()) { $0.append($1) }
        }
        #expect(results.count == 500 && !results.contains(true))
        #expect(await notifier.waiterCount == 0)
    }
}
