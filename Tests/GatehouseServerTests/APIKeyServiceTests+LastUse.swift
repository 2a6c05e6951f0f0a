import Foundation
import GatehouseCore
import GatehouseTestSupport
import Synchronization
import Testing

@testable import GatehouseServer

/// When each key was last used: written once a minute at most, whatever the traffic, and only
/// ever moved on.
extension APIKeyServiceTests {
    /// Waits up to 5 s for the key's recorded use to be `expected`.
    func lastUse(_ store: any Store, _ key: String, becomes expected: Date?) async throws -> Bool {
        try await eventually(.seconds(5)) { try await store.apiKey(hash: SecretHash.hex(key))?.lastUsedAt == expected }
    }

    @Test func aKeysUseIsRecordedOnceAMinuteAtMost() async throws {
        try await StoreBackend.withSQLite { sqlite in
            let clock = TestClock()
            let writes = Mutex(0)
            // Counted as each write starts: one that has landed has been counted.
            let store = InterposedStore(sqlite, before: { name in if name == "recordAPIKeyUse" { writes.withLock { $0 += 1 } } })
            let service = APIKeyService(store: store, now: clock.now)
            let key = try await service.create(name: "agent", role: .app)
            #expect(try await store.apiKey(hash: SecretHash.hex(key))?.lastUsedAt == nil)

            let first = clock.now()
            #expect(try await service.authenticate(key) != nil)
            #expect(try await lastUse(store, key, becomes: first))
            // Every second a read, for most of a minute: the recorded use is recent enough.
            for _ in 0..<59 {
                clock.advance(1)
                #expect(try await service.authenticate(key) != nil)
            }
            try await Task.sleep(for: .milliseconds(100))
            #expect(writes.withLock { $0 } == 1)
            clock.advance(1)
            #expect(try await service.authenticate(key) != nil)
            #expect(try await lastUse(store, key, becomes: first + 60))
            #expect(writes.withLock { $0 } == 2)
        }
    }

    @Test func aWriteThatFailsIsTriedAgainAMinuteOnNotAtEveryRead() async throws {
        try await StoreBackend.withSQLite { sqlite in
            let clock = TestClock()
            let tries = Mutex(0)
            // A store that takes no writes just then (a read-only standby, say).
            let store = InterposedStore(
                sqlite,
                before: { name in
                    guard name == "recordAPIKeyUse" else { return }
                    tries.withLock { $0 += 1 }
                    throw GatehouseError(.storeUnavailable, "read-only")
                })
            let service = APIKeyService(store: store, now: clock.now)
            let key = try await service.create(name: "agent", role: .app)
            for _ in 0..<60 {
                #expect(try await service.authenticate(key) != nil)
                clock.advance(1)
            }
            try await Task.sleep(for: .milliseconds(200))
            #expect(tries.withLock { $0 } == 1)
            #expect(try await service.authenticate(key) != nil)
            #expect(try await eventually { tries.withLock { $0 } == 2 })
            #expect(try await store.apiKey(hash: SecretHash.hex(key))?.lastUsedAt == nil)
        }
    }

    @Test(arguments: StoreBackend.available)
    func aRecordedUseOnlyMovesOn(backend: StoreBackend) async throws {
        try await backend.withStore { store in
            let made = Date(timeIntervalSince1970: 1_000_000)
            try await store.insertAPIKey(APIKeyRecord(hash: "h1", name: "agent", role: .app, createdAt: made))
            try await store.recordAPIKeyUse(hash: "h1", at: made + 120)
            // Another replica's older read of the clock does not move it back.
            try await store.recordAPIKeyUse(hash: "h1", at: made + 60)
            try await store.recordAPIKeyUse(hash: "no-such-key", at: made + 60)
            #expect(try await store.apiKey(hash: "h1")?.lastUsedAt == made + 120)
            #expect(try await store.apiKeys().map(\.lastUsedAt) == [made + 120])
            // A store copy carries it.
            #expect(try await store.exportAll().apiKeys.first?.lastUsedAt == made + 120)
        }
    }
}
