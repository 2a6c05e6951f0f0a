import Foundation
import GatehouseCore
import GatehouseSQLite
import GatehouseServer
import GatehouseTestSupport
import Logging
import Testing

/// A callback that took its state and never finished (the process stopped during the code
/// exchange): the flow fails once that is known, instead of staying pending until it expires. On
/// SQLite the server is its store's only one, so a callback not at work in it is at work nowhere:
/// at once. (Replicas on PostgreSQL: `test_postgres_callback.py`, by the taker's heartbeat.)
@Suite struct InterruptedCallbackTests {
    @Test func aFlowWhoseCallbackStoppedFailsAtOnceOnItsStoresOnlyServer() async throws {
        try await withPendingFlow { api, clock, directory, pending, id, state in
            // What the callback does first, and all it did before its process stopped.
            let used = try await useState(state, in: directory, now: clock.now())
            #expect(abs(try #require(used.stateUsedAt).timeIntervalSince(clock.now())) < 0.001)

            let failed = try await status(api, id)
            #expect(failed["status"] as? String == "failed")
            #expect((failed["status_reason"] as? String)?.contains("never finished") == true)
            #expect(failed["url"] == nil)
            // The state stays spent: the provider's late redirect does not revive the flow.
            let late = try await api.callback(for: pending)
            #expect(String(buffer: late.body).contains("The sign-in didn&#39;t finish"))
            #expect(try await status(api, id)["status"] as? String == "failed")
            // A new authorization for the same user starts afresh.
            let again = try await api.authorize(user: "alice")
            #expect(again["status"] as? String == "pending" && again["id"] as? String != id)
        }
    }

    /// On SQLite the server is the store's only one: a reload of the link whose callback stopped
    /// says at once that the sign-in did not finish, rather than asking the person to wait.
    @Test func aReloadOfALinkWhoseCallbackStoppedSaysItDidNotFinish() async throws {
        try await withPendingFlow { api, clock, directory, pending, _, state in
            _ = try await useState(state, in: directory, now: clock.now())
            let reload = try await api.callback(for: pending)
            #expect(reload.status == .badRequest)
            #expect(String(buffer: reload.body).contains("The sign-in didn&#39;t finish"))
            #expect(!String(buffer: reload.body).contains("http-equiv"))
        }
    }

    /// A callback that took its state just before the flow expired: the flow lives
    /// `callbackLimit` from the state's use (a callback at work is not failed under it, its grant
    /// would be lost), and one whose callback stopped fails as interrupted, not as expired.
    @Test func aFlowThatExpiresAfterItsStateWasUsedFailsAsInterrupted() async throws {
        try await withPendingFlow { api, clock, directory, _, id, state in
            clock.advance(by: api.configuration.flowTTL - 1)
            let used = try await useState(state, in: directory, now: clock.now())
            #expect(used.expiresAt >= clock.now().addingTimeInterval(Flow.callbackLimit - 1))
            clock.advance(by: 2)
            let failed = try await status(api, id)
            #expect(failed["status"] as? String == "failed")
            #expect((failed["status_reason"] as? String)?.contains("never finished") == true)
        }
    }

    @Test func onlyAFlowWithNothingFromItsExchangeAndAKnownUseTimeCounts() {
        let now = Date()
        var flow = makeFlow(now: now)
        flow.stateUsed = true
        flow.stateUsedAt = now
        let later = now.addingTimeInterval(Flow.callbackLimit + 1)
        #expect(flow.callbackAbandoned(now: later))
        flow.sealedTokens = [1, 2, 3]
        #expect(!flow.callbackAbandoned(now: later))
        flow.sealedTokens = nil
        flow.stateUsedAt = nil  // used before Gatehouse recorded when
        #expect(!flow.callbackAbandoned(now: later))
    }

    /// Runs `body` on a server with the fake provider, on a test clock, with alice's pending
    /// authorization: the harness, the clock, the data directory, the answer, its id and state.
    private func withPendingFlow(
        _ body: @escaping @Sendable (APIHarness, TestClock, String, [String: Any], String, String) async throws -> Void
    ) async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("gh-int-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let clock = TestClock()
        try await APIHarness.run(configuration: GatehouseConfiguration(port: 0, dataDirectory: directory), now: clock.now) {
            api in
            try await api.createProvider()
            let pending = try await api.authorize(user: "alice")
            let id = try #require(pending["id"] as? String)
            let url = try #require(pending["url"] as? String)
            let state = try #require(URLComponents(string: url)?.queryItems?.first { $0.name == "state" }?.value)
            try await body(api, clock, directory, pending, id, state)
        }
    }

    /// Takes a flow's state as a callback does first, from another connection to the file.
    private func useState(_ state: String, in directory: String, now: Date) async throws -> Flow {
        let store = try await SQLiteStore.open(path: directory + "/gatehouse.sqlite", logger: Logger(label: "test"))
        let used: Flow?
        do {
            used = try await store.consumeState(hash: SecretHash.hex(state), now: now)
        } catch {
            try? await store.close()
            throw error
        }
        try await store.close()
        return try #require(used)
    }

    private func status(_ api: APIHarness, _ id: String) async throws -> [String: Any] {
        let response = try await api.call(.get, "/v1/auth/status?id=\(id)")
        #expect(response.status == .ok)
        return try api.object(response)
    }
}
