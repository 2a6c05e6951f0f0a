import Foundation
import GatehouseCore
import Synchronization

/// API keys: stored as SHA-256 hashes with a role, shown once when made.
final class APIKeyService: Sendable {
    private let store: any Store
    private let now: @Sendable () -> Date
    // Keys seen valid within `cacheTTL`, so the hot path does not read the store on every call.
    // Invalidation: an entry lives at most `cacheTTL`, so a key revoked with `gatehouse keys
    // revoke` (a separate process) stops working within that time. Bounded at `cacheLimit`.
    // A lookup that overlaps a revocation is not kept (`generation`), and concurrent misses
    // for one key share one store read.
    private let recent = Mutex<(keys: [String: (key: AuthenticatedKey, seen: Date)], generation: UInt64)>(([:], 0))
    private let lookups = SingleFlight<String, APIKeyRecord?>()
    static let cacheTTL: TimeInterval = 1
    static let cacheLimit = 10_000

    private let telemetry: Telemetry

    init(store: any Store, telemetry: Telemetry = .none, now: @escaping @Sendable () -> Date = Date.init) {
        self.store = store
        self.telemetry = telemetry
        self.now = now
    }

    /// Forgets every cached key (another replica or `gatehouse keys` changed them).
    func forgetAll() {
        recent.withLock {
            $0.keys.removeAll()
            $0.generation &+= 1
        }
    }

    /// Makes a key, stores its hash and returns it (the only time it is seen).
    func create(name: String, role: APIKeyRole) async throws -> String {
        let key = "arc_" + SecureRandom.token(bytes: 32)
        try await store.insertAPIKey(APIKeyRecord(hash: SecretHash.hex(key), name: name, role: role, createdAt: now()))
        return key
    }

    /// The key's id and role, or nil when no such key exists (or it was revoked).
    func authenticate(_ key: String) async throws -> AuthenticatedKey? {
        guard key.utf8.count <= 256 else { return nil }
        let hash = SecretHash.hex(key)
        let time = now()
        let (hit, generation) = recent.withLock { ($0.keys[hash], $0.generation) }
        if let hit, time.timeIntervalSince(hit.seen) < Self.cacheTTL {
            telemetry.cacheLookup(.apiKey, hit: true)
            return hit.key
        }
        telemetry.cacheLookup(.apiKey, hit: false)
        let store = store
        guard let record = try await lookups.run("\(generation):\(hash)", { try await store.apiKey(hash: hash) }) else {
            recent.withLock { _ = $0.keys.removeValue(forKey: hash) }
            return nil
        }
        let authenticated = AuthenticatedKey(id: record.id, role: record.role)
        recent.withLock {
            guard $0.generation == generation else { return }
            if $0.keys.count >= Self.cacheLimit { $0.keys.removeAll() }
            $0.keys[hash] = (authenticated, time)
        }
        return authenticated
    }
}
