import Foundation
import GatehouseCore
import GatehouseTestSupport
import Synchronization
import Testing

@testable import GatehouseServer

/// Store reads for keys that do not exist are bounded; keys in use are not.
extension APIKeyServiceTests {
    @Test func aFloodOfMadeUpKeysStopsReachingTheStoreButKeysSeenBeforeGoOn() async throws {
        try await StoreBackend.withSQLite { store in
            let clock = TestClock()
            let valid = Mutex(Set(["arc_old", "arc_new"].map(SecretHash.hex)))
            let reads = Mutex(0)
            let service = APIKeyService(store: store, now: clock.now) { hash in
                reads.withLock { $0 += 1 }
                return valid.withLock { $0.contains(hash) }
                    ? APIKeyRecord(hash: hash, name: "agent", role: .app, createdAt: clock.now()) : nil
            }
            #expect(try await service.authenticate("arc_old") != nil)
            // A flood spends the budget, one read per made-up key, then is refused without a read.
            let budget = Int(UnknownKeyBudget.burst)
            for n in 0..<budget { #expect(try await service.authenticate("arc_made_up_\(n)") == nil) }
            #expect(reads.withLock { $0 } == budget + 1)
            await #expect(throws: GatehouseError.self) { try await service.authenticate("arc_made_up_x") }
            #expect(reads.withLock { $0 } == budget + 1)
            // A key found valid before is still read (its cache time is past) and still works.
            clock.advance(APIKeyService.cacheTTL * 0.5)
            #expect(try await service.authenticate("arc_old") != nil)
            clock.advance(APIKeyService.cacheTTL * 2)
            #expect(try await service.authenticate("arc_old") != nil)
            #expect(reads.withLock { $0 } == budget + 2)
            // A key this replica has not seen waits for the budget to refill, then gives its
            // token back: valid keys never drain it. (The clock moved: the flood drains it again.)
            var refilled = 0
            while refilled <= budget {
                do {
                    #expect(try await service.authenticate("arc_made_up_again_\(refilled)") == nil)
                    refilled += 1
                } catch {
                    break
                }
            }
            #expect(refilled == Int(UnknownKeyBudget.perSecond * APIKeyService.cacheTTL * 2.5))
            do {
                _ = try await service.authenticate("arc_new")
                Issue.record("a new key was read with the budget spent")
            } catch let error as GatehouseError {
                #expect(error.code == .rateLimited && error.retryAfter == 1)
            }
            clock.advance(1.5 / UnknownKeyBudget.perSecond)
            #expect(try await service.authenticate("arc_new") != nil)
            clock.advance(APIKeyService.cacheTTL * 2)
            #expect(try await service.authenticate("arc_new") != nil)
            #expect(reads.withLock { $0 } == budget + 4 + refilled)
            // A key revoked since is read once more, found missing, and is then a stranger again.
            valid.withLock { _ = $0.remove(SecretHash.hex("arc_old")) }
            clock.advance(APIKeyService.cacheTTL * 2)
            #expect(try await service.authenticate("arc_old") == nil)
            for n in 0..<budget { _ = try? await service.authenticate("arc_drain_\(n)") }
            let before = reads.withLock { $0 }
            await #expect(throws: GatehouseError.self) { try await service.authenticate("arc_old") }
            #expect(reads.withLock { $0 } == before)
        }
    }

    @Test func theBudgetRefillsAtItsRateUpToItsBurst() {
        let budget = UnknownKeyBudget(logger: .init(label: "test"))
        let start = Date(timeIntervalSince1970: 1_000_000)
        var taken = 0
        while budget.take(now: start) { taken += 1 }
        #expect(taken == Int(UnknownKeyBudget.burst))
        // One second gives `perSecond` reads; a long pause no more than the burst.
        taken = 0
        while budget.take(now: start + 1) { taken += 1 }
        #expect(taken == Int(UnknownKeyBudget.perSecond))
        taken = 0
        while budget.take(now: start + 3600) { taken += 1 }
        #expect(taken == Int(UnknownKeyBudget.burst))
        budget.giveBack()
        #expect(budget.take(now: start + 3600))
        #expect(!budget.take(now: start + 3600))
    }
}
