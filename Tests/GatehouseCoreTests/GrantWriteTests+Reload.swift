import Foundation
import GatehouseTestSupport
import Synchronization
import Testing

@testable import GatehouseCore

/// A reload of the callback while the first arrival of the link is still at work, here or on
/// another replica, or after it stopped: the person is told to wait only while it can still end.
extension GrantWriteTests {
    func reason(_ outcome: CallbackOutcome) -> CallbackFailure? {
        if case .failure(let reason, _) = outcome { return reason }
        return nil
    }

    @Test(arguments: [false, true])
    func aReloadWhileTheCallbackIsAtWorkHereSaysItIsFinishing(soleServer: Bool) async throws {
        try await StoreBackend.withSQLite { sqlite in
            let write = Gate()
            let store = InterposedStore(
                sqlite,
                completingFlow: { _, call in
                    await write.wait()
                    return try await call()
                })
            let broker = try await broker(store, soleServer: soleServer)
            let (_, state) = try await start(broker)
            let query = ["state": state, "code": "c"]
            let first = Task { await broker.callback(providerID: "p", query: query) }
            #expect(try await eventually { write.arrivals == 1 })

            #expect(await broker.callback(providerID: "p", query: query) == .finishing)
            write.open()
            #expect(await first.value == .success(providerID: "p"))
            #expect(await broker.callback(providerID: "p", query: query) == .success(providerID: "p"))
            #expect(write.arrivals == 1, "a reload stored the grant again")
        }
    }

    /// Another replica took the state (or a process that has stopped): on a shared store its
    /// callback may still be at work until `callbackLimit`; on a store this process serves
    /// alone, it is not.
    @Test(arguments: [false, true])
    func aReloadOfACallbackNotAtWorkHere(soleServer: Bool) async throws {
        try await StoreBackend.withSQLite { sqlite in
            let clock = Mutex(Date())
            let broker = try await broker(sqlite, soleServer: soleServer, now: { clock.withLock { $0 } })
            let (_, state) = try await start(broker)
            _ = try #require(try await sqlite.consumeState(hash: SecretHash.hex(state), now: clock.withLock { $0 }))
            let query = ["state": state, "code": "c"]

            let now = await broker.callback(providerID: "p", query: query)
            if soleServer {
                #expect(reason(now) == .notCompleted)
            } else {
                #expect(now == .finishing)
                clock.withLock { $0 += Flow.callbackLimit + 1 }
                #expect(reason(await broker.callback(providerID: "p", query: query)) == .notCompleted)
            }
        }
    }

    @Test func aReloadAfterAFailureSaysHowItEnded() async throws {
        try await StoreBackend.withSQLite { sqlite in
            let broker = try await broker(sqlite)
            let declined = try await start(broker)
            let denial = ["state": declined.state, "error": "access_denied"]
            #expect(reason(await broker.callback(providerID: "p", query: denial)) == .declined)
            #expect(reason(await broker.callback(providerID: "p", query: denial)) == .declined)

            let other = try await start(broker)
            let wrongPath = ["state": other.state, "code": "c"]
            #expect(reason(await broker.callback(providerID: "q", query: wrongPath)) == .wrongProvider)
            #expect(reason(await broker.callback(providerID: "p", query: wrongPath)) == .notCompleted)
        }
    }

    /// Anyone can send the callback, without a key: a state that cannot be one of ours costs no
    /// store access, one that names no flow (or a used one: a reload) a read, and only a state
    /// to take costs a write.
    @Test func aCallbackWritesOnlyToTakeAState() async throws {
        try await StoreBackend.withSQLite { sqlite in
            let calls = Mutex<[String]>([])
            let store = InterposedStore(sqlite, before: { name in calls.withLock { $0.append(name) } })
            let broker = try await broker(store)
            let (_, state) = try await start(broker)
            calls.withLock { $0 = [] }
            for junk in ["x", String(repeating: "a", count: 42), String(repeating: "~", count: 43), state + "a"] {
                #expect(reason(await broker.callback(providerID: "p", query: ["state": junk, "code": "c"])) == .expiredOrUsed)
            }
            #expect(calls.withLock { $0 }.isEmpty)
            let unknown = ["state": SecureRandom.token(), "code": "c"]
            #expect(reason(await broker.callback(providerID: "p", query: unknown)) == .expiredOrUsed)
            #expect(calls.withLock { $0 } == ["flow"])

            let query = ["state": state, "code": "c"]
            #expect(await broker.callback(providerID: "p", query: query) == .success(providerID: "p"))
            #expect(calls.withLock { $0 }.filter { $0 == "consumeState" }.count == 1)
            calls.withLock { $0 = [] }
            #expect(await broker.callback(providerID: "p", query: query) == .success(providerID: "p"))
            #expect(calls.withLock { $0 } == ["flow"])
        }
    }
}
