import Foundation
import GatehouseCore
import Synchronization
import Testing

/// The hot path's connection cache: it saves store reads, and never hands out what a change
/// has replaced.
struct ConnectionCacheTests {
    static func connection(_ id: String, user: String = "alice", version: Int = 1) -> Connection {
        Connection(
            id: id, userID: user, providerID: "github", scopes: ["repo"], sealedTokens: [1, 2, 3],
            expiresAt: Date(timeIntervalSince1970: 2_000_000_000), userInfo: nil, status: .active, authID: "ac_1",
            createdAt: Date(timeIntervalSince1970: 0), updatedAt: Date(timeIntervalSince1970: 0), version: version)
    }

    /// A loader that counts its calls and answers what `current` holds.
    final class Loader: Sendable {
        let current: Mutex<Connection?>
        let calls = Mutex(0)
        init(_ connection: Connection?) { current = Mutex(connection) }
        func load() -> Connection? {
            calls.withLock { $0 += 1 }
            return current.withLock { $0 }
        }
    }

    @Test func aSecondReadIsServedFromMemoryUntilTheConnectionChanges() async throws {
        let cache = ConnectionCache()
        let loader = Loader(Self.connection("uc_1"))
        for _ in 0..<3 {
            #expect(try await cache.connection(userID: "alice", providerID: "github") { loader.load() }?.id == "uc_1")
        }
        #expect(loader.calls.withLock { $0 } == 1)
        loader.current.withLock { $0 = Self.connection("uc_1", version: 2) }
        cache.forget(connectionID: "uc_1")
        #expect(try await cache.connection(userID: "alice", providerID: "github") { loader.load() }?.version == 2)
        #expect(loader.calls.withLock { $0 } == 2)
    }

    @Test func aMissingConnectionIsNotRemembered() async throws {
        let cache = ConnectionCache()
        let loader = Loader(nil)
        for _ in 0..<2 { #expect(try await cache.connection(userID: "bob", providerID: "github") { loader.load() } == nil) }
        #expect(loader.calls.withLock { $0 } == 2)
        #expect(cache.count == 0)
    }

    @Test func aReadThatOverlapsAChangeIsNotKept() async throws {
        let cache = ConnectionCache()
        // The row is read, then deleted (and forgotten) before the read puts it in the cache.
        let old = try await cache.connection(userID: "alice", providerID: "github") {
            cache.forget(connectionID: "uc_1")
            return Self.connection("uc_1")
        }
        #expect(old?.id == "uc_1")
        #expect(cache.count == 0, "the overlapped read would hand out a deleted grant's token")
    }

    @Test func entriesLapseAfterTheirTimeToLive() async throws {
        let clock = Mutex(Date(timeIntervalSince1970: 1_000))
        let cache = ConnectionCache(ttl: 30, now: { clock.withLock { $0 } })
        let loader = Loader(Self.connection("uc_1"))
        _ = try await cache.connection(userID: "alice", providerID: "github") { loader.load() }
        clock.withLock { $0 += 29 }
        _ = try await cache.connection(userID: "alice", providerID: "github") { loader.load() }
        #expect(loader.calls.withLock { $0 } == 1)
        clock.withLock { $0 += 2 }
        _ = try await cache.connection(userID: "alice", providerID: "github") { loader.load() }
        #expect(loader.calls.withLock { $0 } == 2)
    }

    @Test func whileTheChannelIsDownEntriesLapseAfterASecond() async throws {
        let clock = Mutex(Date(timeIntervalSince1970: 1_000))
        // A shared store's cache starts with its channel down, until the listener is up.
        let cache = ConnectionCache(ttl: 30, channelUp: false, now: { clock.withLock { $0 } })
        let loader = Loader(Self.connection("uc_1"))
        func read() async throws { _ = try await cache.connection(userID: "alice", providerID: "github") { loader.load() } }
        try await read()
        clock.withLock { $0 += 0.5 }
        try await read()
        #expect(loader.calls.withLock { $0 } == 1)
        clock.withLock { $0 += 0.6 }
        try await read()
        #expect(loader.calls.withLock { $0 } == 2)
        // Up: the full lifetime, from an empty cache.
        cache.channel(up: true)
        #expect(cache.count == 0)
        try await read()
        clock.withLock { $0 += 20 }
        try await read()
        #expect(loader.calls.withLock { $0 } == 3)
        // Lost again: everything is forgotten at once.
        try await read()
        #expect(cache.count == 1)
        cache.channel(up: false)
        #expect(cache.count == 0)
        try await read()
        #expect(loader.calls.withLock { $0 } == 4)
    }

    @Test func itHoldsAtMostItsLimitAndForgetsEverythingOnRequest() async throws {
        let cache = ConnectionCache(limit: 10)
        for n in 0..<25 {
            _ = try await cache.connection(userID: "user-\(n)", providerID: "github") {
                Self.connection("uc_\(n)", user: "user-\(n)")
            }
        }
        #expect(cache.count == 10)
        cache.forgetAll()
        #expect(cache.count == 0)
    }

    @Test func aConnectionChangeCrossesTheChannel() {
        #expect(StoreChange(payload: StoreChange.connection("uc_42").payload) == .connection("uc_42"))
        #expect(StoreChange.connection("uc_42").payload == "c:uc_42")
    }
}
