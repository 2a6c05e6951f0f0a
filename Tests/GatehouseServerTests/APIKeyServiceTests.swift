import Foundation
import GatehouseCore
import GatehouseTestSupport
import Synchronization
import Testing

@testable import GatehouseServer

/// The API key cache: how long a key found valid stays trusted without a read.
@Suite struct APIKeyServiceTests {
    /// A test clock, moved by hand.
    final class TestClock: Sendable {
        let time = Mutex(Date(timeIntervalSince1970: 1_000_000))
        func now() -> Date { time.withLock { $0 } }
        func advance(_ seconds: TimeInterval) { time.withLock { $0 += seconds } }
    }

    /// A key revoked while a read is under way stops working within `cacheTTL` of that read's
    /// start, also when callers joined the read long after it began.
    @Test func callersThatJoinAReadLateDoNotKeepItsAnswerLonger() async throws {
        try await StoreBackend.withSQLite { store in
            let clock = TestClock()
            let record = APIKeyRecord(hash: SecretHash.hex("arc_k"), name: "agent", role: .app, createdAt: clock.now())
            let revoked = Mutex(false)
            let reads = Mutex(0)
            let (release, releaser) = AsyncStream<Void>.makeStream()
            let service = APIKeyService(store: store, now: clock.now) { _ in
                // What the store says when the read runs, answered later: a slow read.
                let isRevoked = revoked.withLock { $0 }
                let read = reads.withLock { count in
                    count += 1
                    return count
                }
                if read == 1 {
                    for await _ in release { break }
                }
                return isRevoked ? nil : record
            }
            let first = Task { try await service.authenticate("arc_k") }
            while reads.withLock({ $0 }) == 0 { try await Task.sleep(for: .milliseconds(5)) }
            clock.advance(0.5)
            revoked.withLock { $0 = true }  // after the read, before its answer
            clock.advance(0.4)
            // Callers that come 0.9 s after the read began join it.
            let joiners = (0..<20).map { _ in Task { try await service.authenticate("arc_k") } }
            try await Task.sleep(for: .milliseconds(200))
            #expect(reads.withLock { $0 } == 1)
            releaser.yield()
            var answers = [try await first.value]
            for joiner in joiners { answers.append(try await joiner.value) }
            #expect(answers.count == 21 && answers.allSatisfy { $0 != nil })

            // 1.1 s after the read began, 0.6 s after the revocation: past `cacheTTL` of the
            // read, so the key is read again and refused.
            clock.advance(0.2)
            let after = try await service.authenticate("arc_k")
            #expect(after == nil)
            #expect(reads.withLock { $0 } == 2)
        }
    }

    /// Within `cacheTTL` of its read a key is not read again.
    @Test func aKeyFoundValidIsTrustedForTheCacheTime() async throws {
        try await StoreBackend.withSQLite { store in
            let clock = TestClock()
            let record = APIKeyRecord(hash: SecretHash.hex("arc_k"), name: "agent", role: .app, createdAt: clock.now())
            let reads = Mutex(0)
            let service = APIKeyService(store: store, now: clock.now) { _ in
                reads.withLock { $0 += 1 }
                return record
            }
            var answers = [try await service.authenticate("arc_k")]
            clock.advance(APIKeyService.cacheTTL * 0.9)
            answers.append(try await service.authenticate("arc_k"))
            #expect(reads.withLock { $0 } == 1)
            clock.advance(APIKeyService.cacheTTL * 0.2)
            answers.append(try await service.authenticate("arc_k"))
            #expect(reads.withLock { $0 } == 2)
            #expect(answers.allSatisfy { $0 != nil })
        }
    }

    /// The first start's key is shown before it is stored: a start stopped in between (SIGTERM)
    /// has shown a key that does not work, and the next start makes and shows another; it used
    /// to store one that nobody ever saw, and no later start showed any.
    @Test func aKeyIsShownBeforeItIsStored() async throws {
        try await StoreBackend.withSQLite { store in
            let shown = Mutex<[String]>([])
            let stored = try await APIKeyService(store: store).create(name: "admin", role: .admin) { key in
                shown.withLock { $0.append(key) }
            }
            #expect(shown.withLock { $0 } == [stored])
            // A store that fails the write: the key was shown already, and nothing holds it.
            try await store.close()
            await #expect(throws: (any Error).self) {
                try await APIKeyService(store: store).create(name: "admin", role: .admin) { key in
                    shown.withLock { $0.append(key) }
                }
            }
            #expect(shown.withLock { $0 }.count == 2)
        }
    }
}
