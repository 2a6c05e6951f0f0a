import Foundation
import GatehouseCore
import GatehouseTestSupport
import Synchronization
import Testing

@testable import GatehouseServer

/// Store reads for keys that do not exist are bounded; keys that exist are not.
extension APIKeyServiceTests {
    @Test func aFloodOfMadeUpKeysStopsReachingTheStoreButKeysThatExistGoOn() async throws {
        try await StoreBackend.withSQLite { store in
            let clock = TestClock()
            // In the store before the replica's first request: known from its first read of
            // every key, as on a replica just started.
            try await store.insertAPIKey(
                APIKeyRecord(hash: SecretHash.hex("arc_stored"), name: "agent", role: .app, createdAt: clock.now()))
            // `arc_new` stands for a key made by another process after that read.
            let valid = Mutex(Set(["arc_stored", "arc_new"].map(SecretHash.hex)))
            let reads = Mutex(0)
            let service = APIKeyService(
                store: store, unknownKeys: UnknownKeyBudget(perSecond: 10, burst: 20), now: clock.now
            ) { hash in
                reads.withLock { $0 += 1 }
                return valid.withLock { $0.contains(hash) }
                    ? APIKeyRecord(hash: hash, name: "agent", role: .app, createdAt: clock.now()) : nil
            }
            func refused(_ key: String) async -> Bool {
                do {
                    _ = try await service.authenticate(key)
                    return false
                } catch let error as GatehouseError {
                    return error.code == .rateLimited && error.retryAfter == 1
                } catch {
                    return false
                }
            }
            // A flood spends the budget, one read per made-up key, then is refused without a read.
            for n in 0..<20 { #expect(try await service.authenticate("arc_made_up_\(n)") == nil) }
            #expect(reads.withLock { $0 } == 20)
            #expect(await refused("arc_made_up_x"))
            #expect(reads.withLock { $0 } == 20)
            // A key that exists is read and works, the first time as after its cache time.
            #expect(try await service.authenticate("arc_stored") != nil)
            clock.advance(APIKeyService.cacheTTL * 2)
            while !(await refused("arc_drain_\(reads.withLock { $0 })")) {}
            let drained = reads.withLock { $0 }
            #expect(try await service.authenticate("arc_stored") != nil)
            #expect(reads.withLock { $0 } == drained + 1)
            // A key the replica has not seen waits for the budget (the clock moved: drained
            // again first), then gives its token back once found.
            while !(await refused("arc_drain_\(reads.withLock { $0 })")) {}
            #expect(await refused("arc_new"))
            clock.advance(0.15)
            #expect(try await service.authenticate("arc_new") != nil)
            #expect(try await service.authenticate("arc_made_up_z") == nil)  // the token it gave back
            #expect(await refused("arc_made_up_w"))
            clock.advance(APIKeyService.cacheTTL * 2)
            while !(await refused("arc_drain_\(reads.withLock { $0 })")) {}
            #expect(try await service.authenticate("arc_new") != nil)
            // A key revoked since is read once more, found missing, and is a stranger from then on.
            valid.withLock { _ = $0.remove(SecretHash.hex("arc_stored")) }
            clock.advance(APIKeyService.cacheTTL * 2)
            while !(await refused("arc_drain_\(reads.withLock { $0 })")) {}
            #expect(try await service.authenticate("arc_stored") == nil)
            let before = reads.withLock { $0 }
            #expect(await refused("arc_stored"))
            #expect(reads.withLock { $0 } == before)
        }
    }

    @Test func theBudgetRefillsAtItsRateUpToItsBurstAndAClockBehindRefillsNothing() {
        let budget = UnknownKeyBudget(perSecond: 10, burst: 30)
        let start = Date(timeIntervalSince1970: 1_000_000)
        func drain(at time: Date) -> Int {
            var taken = 0
            while budget.take(now: time) { taken += 1 }
            return taken
        }
        #expect(drain(at: start) == 30)
        // A caller whose clock read is a little behind: nothing refilled, nothing moved back.
        #expect(drain(at: start - 0.5) == 0)
        #expect(drain(at: start + 1) == 10)
        #expect(drain(at: start + 3600) == 30)
        budget.giveBack()
        #expect(drain(at: start + 3600) == 1)
        // The clock stepped back an hour: it refills from its new time, not an hour later.
        #expect(drain(at: start) == 0)
        #expect(drain(at: start + 2) == 20)
        #expect(UnknownKeyBudget(perSecond: nil, burst: 0).take(now: start))
    }
}
