import Foundation
import GatehouseCore
import Synchronization

/// Per-key token buckets and parked-wait counts. Only authenticated keys get an entry, so the
/// memory is bounded by the number of keys; the map is also capped and reset past `maxKeys`.
final class KeyLimiter: Sendable {
    private struct Bucket {
        var tokens: Double
        var updated: ContinuousClock.Instant
    }

    let limits: RequestLimits
    private let buckets = Mutex<[String: Bucket]>([:])
    private let parked = Mutex<[String: Int]>([:])
    static let maxKeys = 100_000

    init(limits: RequestLimits) {
        self.limits = limits
    }

    /// Takes one token from the key's bucket; throws `rate_limited` with a retry delay when empty.
    func admit(_ key: AuthenticatedKey) throws {
        guard let rate = limits.requestsPerSecond, rate > 0 else { return }
        let now = ContinuousClock.now
        let wait: Double? = buckets.withLock { buckets in
            if buckets.count >= Self.maxKeys, buckets[key.id] == nil { buckets.removeAll() }
            var bucket = buckets[key.id] ?? Bucket(tokens: limits.burst, updated: now)
            bucket.tokens = min(limits.burst, bucket.tokens + bucket.updated.duration(to: now).timeInterval * rate)
            bucket.updated = now
            defer { buckets[key.id] = bucket }
            guard bucket.tokens >= 1 else { return (1 - bucket.tokens) / rate }
            bucket.tokens -= 1
            return nil
        }
        if let wait {
            throw GatehouseError(
                .rateLimited, "this API key is over its rate limit (api.rate_limit); retry later",
                retryAfter: max(1, Int(wait.rounded(.up))))
        }
    }

    /// Takes one of the key's parked waits; throws `rate_limited` past the cap. The wait is the
    /// key's until the slot is released or dropped.
    func park(_ key: AuthenticatedKey) throws -> ParkingSlot {
        let admitted = parked.withLock { counts in
            guard counts[key.id, default: 0] < limits.maxParkedWaitsPerKey else { return false }
            counts[key.id, default: 0] += 1
            return true
        }
        guard admitted else {
            throw GatehouseError(
                .rateLimited,
                "this API key has \(limits.maxParkedWaitsPerKey) status requests waiting already (api.max_parked_waits_per_key)",
                retryAfter: 1)
        }
        return ParkingSlot { self.unpark(key.id) }
    }

    private func unpark(_ keyID: String) {
        parked.withLock { counts in
            counts[keyID, default: 1] -= 1
            if counts[keyID] == 0 { counts[keyID] = nil }
        }
    }

    /// The parked waits the key holds now (for tests).
    func parkedWaits(of keyID: String) -> Int {
        parked.withLock { $0[keyID, default: 0] }
    }
}
