import GatehouseTestSupport
import Logging
import Synchronization
import Testing

@testable import GatehouseCore

/// Shutting down ends every parked wait, however many shutdown handlers ask for it.
@Suite struct EndWaitsTests {
    /// The in-process notifier, counting the calls to `endWaits`.
    final class CountingNotifier: Notifier {
        let local = LocalNotifier()
        let ends = Mutex(0)

        func notify(flowID: String) async { await local.notify(flowID: flowID) }
        func wait(_ ticket: NotifierTicket, timeout: Duration) async -> Bool { await local.wait(ticket, timeout: timeout) }
        func prepare(flowID: String) async -> NotifierTicket { await local.prepare(flowID: flowID) }
        func cancel(_ ticket: NotifierTicket) async { await local.cancel(ticket) }
        func endWaits() async {
            ends.withLock { $0 += 1 }
            await local.endWaits()
        }
    }

    @Test func everyParkedWaitEndsWithOneCallHoweverManyHandlersAsk() async throws {
        try await StoreBackend.withSQLite { store in
            let notifier = CountingNotifier()
            let cipher = try TokenCipher(keys: [RootKey.generate(id: "k")], defaultKeyID: "k")
            let broker = AuthBroker(
                store: store, notifier: notifier,
                providers: ProviderRegistry(store: store, cipher: cipher, catalog: ProviderCatalog([])),
                client: CountingProviderClient(), cipher: cipher,
                settings: BrokerSettings(
                    publicURL: "http://gh", defaultVerification: VerificationSetting(verifierURL: nil, unsafeSkip: true),
                    unsafeSkipAllowed: true),
                logger: Logger(label: "test"))
            let tickets = [await notifier.prepare(flowID: "f1"), await notifier.prepare(flowID: "f2")]
            let clock = ContinuousClock()
            let started = clock.now
            async let first = notifier.wait(tickets[0], timeout: .seconds(30))
            async let second = notifier.wait(tickets[1], timeout: .seconds(30))
            try await Task.sleep(for: .milliseconds(50))
            for _ in 0..<100 { broker.endWaits() }  // one shutdown handler per parked wait
            let ended = await [first, second]
            #expect(ended == [false, false])
            #expect(started.duration(to: clock.now) < .seconds(10))
            // Time for any further task a call started to reach the notifier.
            try await Task.sleep(for: .milliseconds(200))
            #expect(notifier.ends.withLock { $0 } == 1)
        }
    }
}
