import Foundation
import GatehouseCore
import Logging
import Synchronization

/// API keys: stored as SHA-256 hashes with a role, shown once when made.
final class APIKeyService: Sendable {
    private let store: any Store
    private let now: @Sendable () -> Date
    private let lookup: @Sendable (_ hash: String) async throws -> APIKeyRecord?
    // Keys seen valid within `cacheTTL`, so the hot path does not read the store on every call.
    // Invalidation: an entry lives at most `cacheTTL` from the start of the read that found the
    // key, so a key revoked with `gatehouse keys revoke` (a separate process) stops working
    // within that time. Bounded at `cacheLimit`. A lookup that overlaps a revocation here is not
    // kept (`generation`), and concurrent misses for one key share one store read.
    private let recent = Mutex<(keys: [String: (key: AuthenticatedKey, seen: Date)], generation: UInt64)>(([:], 0))
    private let lookups = SingleFlight<String, AuthenticatedKey?>()
    static let cacheTTL: TimeInterval = 1
    static let cacheLimit = 10_000

    private let telemetry: Telemetry
    // The hashes of the keys that exist, as far as this replica knows: every key in the store
    // when it last read them all (at the first miss, and again after any change to the keys,
    // `forgetAll`), with the keys found valid since and without those found missing. A key in
    // it is read whatever the unknown-key budget says, so a flood of made-up keys locks out no
    // key that exists, on a replica just started as on one long up; the budget holds back only
    // keys it has never seen (made up, or made by another process since the last read).
    private let known = Mutex<(hashes: Set<String>, current: Bool)>(([], false))
    private let knownReads = SingleFlight<UInt64, Set<String>>()
    private let unknown: UnknownKeyBudget
    private let logger: Logger
    // When this replica last tried to write each key's use: a write that fails (a store that
    // takes no writes just then) is tried again a minute on, not at every read. Bounded as the
    // cache is.
    private let useWrites = Mutex<[String: Date]>([:])

    /// Creates the service; `lookup` finds a key's record by hash (the store's, unless a test
    /// gives its own); `unknownKeys` bounds the reads for keys that turn out not to exist.
    init(
        store: any Store, telemetry: Telemetry = .none, unknownKeys: UnknownKeyBudget = UnknownKeyBudget(),
        logger: Logger = Logger(label: "gatehouse"), now: @escaping @Sendable () -> Date = Date.init,
        lookup: (@Sendable (_ hash: String) async throws -> APIKeyRecord?)? = nil
    ) {
        self.store = store
        self.telemetry = telemetry
        self.unknown = unknownKeys
        self.logger = logger
        self.now = now
        self.lookup = lookup ?? { [store] hash in try await store.apiKey(hash: hash) }
    }

    /// Forgets every cached key (another replica or `gatehouse keys` changed them).
    func forgetAll() {
        recent.withLock {
            $0.keys.removeAll()
            $0.generation &+= 1
        }
        known.withLock { $0.current = false }
    }

    /// Makes a key, stores its hash and returns it (the only time it is seen). `before` is given
    /// the key before it is stored: a process stopped in between has shown a key that does not
    /// work (and the next start makes another), never stored one that nobody saw.
    func create(name: String, role: APIKeyRole, before: (String) throws -> Void = { _ in }) async throws -> String {
        let key = "arc_" + SecureRandom.token(bytes: 32)
        try before(key)
        try await store.insertAPIKey(APIKeyRecord(hash: SecretHash.hex(key), name: name, role: role, createdAt: now()))
        return key
    }

    /// The key's id and role, or nil when no such key exists (or it was revoked).
    func authenticate(_ key: String) async throws -> AuthenticatedKey? {
        // No key Gatehouse makes is empty, longer, or has a space (`Basic xyz`): not read.
        guard !key.isEmpty, key.utf8.count <= 256, !key.utf8.contains(UInt8(ascii: " ")) else { return nil }
        return try await authenticate(hash: SecretHash.hex(key))
    }

    /// The same by the key's hash (what a parked wait keeps instead of the key).
    func authenticate(hash: String) async throws -> AuthenticatedKey? {
        let time = now()
        let (hit, generation) = recent.withLock { ($0.keys[hash], $0.generation) }
        if let hit, time.timeIntervalSince(hit.seen) < Self.cacheTTL {
            telemetry.cacheLookup(.apiKey, hit: true)
            return hit.key
        }
        telemetry.cacheLookup(.apiKey, hit: false)
        // The read keeps what it found, once, counted from when it began: a caller that joined a
        // read under way must not keep its answer for longer than `cacheTTL` from there.
        return try await lookups.run("\(generation):\(hash)") { [self] in
            let began = now()
            let isKnown = try await knows(hash, generation: generation)
            // The time read now, not at `began`: `knows` may have waited on the store, and a
            // time read before that wait would look like a clock stepped back to the budget.
            guard isKnown || unknown.take(now: now()) else {
                throw GatehouseError(
                    .rateLimited,
                    "too many requests with unknown API keys reach this server: a key it has not seen before is not looked up until they slow down; retry shortly",
                    retryAfter: 1)
            }
            let record = try await lookup(hash)
            if record != nil, !isKnown { unknown.giveBack() }
            if let record, record.useIsDue(at: began), claimUseWrite(of: record.hash, at: began) {
                recordUse(of: record, at: began)
            }
            known.withLock { state in
                if record == nil { state.hashes.remove(hash) } else { state.hashes.insert(hash) }
            }
            return remember(record, hash: hash, generation: generation, seen: began)
        }
    }

    /// Whether the key is one this replica knows exists; reads every key's hash first when the
    /// set is not current (kept only if no change to the keys came meanwhile).
    private func knows(_ hash: String, generation: UInt64) async throws -> Bool {
        let (found, current) = known.withLock { ($0.hashes.contains(hash), $0.current) }
        if found || current { return found }
        let hashes = try await knownReads.run(generation) { [store] in Set(try await store.apiKeys().map(\.hash)) }
        let unchanged = recent.withLock { $0.generation == generation }
        if unchanged { known.withLock { $0 = (hashes, true) } }
        return hashes.contains(hash)
    }

    /// Whether this replica is to write the key's use now: no try of its own within
    /// `APIKeyRecord.useRecordedEvery`.
    private func claimUseWrite(of hash: String, at time: Date) -> Bool {
        useWrites.withLock { tried in
            if let last = tried[hash], time.timeIntervalSince(last) < APIKeyRecord.useRecordedEvery { return false }
            if tried.count >= Self.cacheLimit { tried.removeAll() }
            tried[hash] = time
            return true
        }
    }

    /// Writes the key's use (`APIKeyRecord.lastUsedAt`) beside the request, not in its way: the
    /// read that found the key comes at most once a second per key (`cacheTTL`), and the write
    /// once a minute (`APIKeyRecord.useRecordedEvery`), since every replica reads the time back
    /// and tries at most that often itself.
    private func recordUse(of record: APIKeyRecord, at time: Date) {
        Task { [store, logger] in
            do {
                try await store.recordAPIKeyUse(hash: record.hash, at: time)
            } catch {
                // Only the time shown is late: this replica tries again a minute on.
                logger.debug("could not record an API key's use", metadata: ["key_id": "\(record.id)", "error": "\(error)"])
            }
        }
    }

    private func remember(_ record: APIKeyRecord?, hash: String, generation: UInt64, seen: Date) -> AuthenticatedKey? {
        guard let record else {
            recent.withLock { _ = $0.keys.removeValue(forKey: hash) }
            return nil
        }
        let authenticated = AuthenticatedKey(id: record.id, role: record.role)
        recent.withLock {
            guard $0.generation == generation else { return }
            if $0.keys.count >= Self.cacheLimit { $0.keys.removeAll() }
            $0.keys[hash] = (authenticated, seen)
        }
        return authenticated
    }
}
