import Testing

@testable import GatehouseCore

@Suite struct LocalNotifierTests {
    @Test func aWaiterWakesOnNotify() async {
        let notifier = LocalNotifier()
        let ticket = await notifier.prepare(flowID: "f")
        async let woke = notifier.wait(ticket, timeout: .seconds(30))
        try? await Task.sleep(for: .milliseconds(50))
        await notifier.notify(flowID: "f")
        #expect(await woke)
        #expect(await notifier.waiterCount == 0)
    }

    @Test func aWaitTimesOut() async {
        let notifier = LocalNotifier()
        let ticket = await notifier.prepare(flowID: "f")
        let clock = ContinuousClock()
        let started = clock.now
        #expect(await !notifier.wait(ticket, timeout: .milliseconds(100)))
        #expect(started.duration(to: clock.now) >= .milliseconds(100))
        #expect(await notifier.waiterCount == 0)
    }

    @Test func aNotifyBetweenPrepareAndWaitIsNotLost() async {
        let notifier = LocalNotifier()
        let ticket = await notifier.prepare(flowID: "f")
        await notifier.notify(flowID: "f")
        #expect(await notifier.wait(ticket, timeout: .seconds(30)))
    }

    @Test func otherFlowsDoNotWake() async {
        let notifier = LocalNotifier()
        let ticket = await notifier.prepare(flowID: "f")
        await notifier.notify(flowID: "g")
        #expect(await !notifier.wait(ticket, timeout: .milliseconds(50)))
    }
}
