import Foundation
import Synchronization

/// Connections read on the hot path, kept in memory so that handing out a token for a user
/// who is already authorized reads no store.
///
/// - Bounded: at most `limit` entries; past it, an arbitrary entry makes room.
/// - Invalidation: every change to a connection made through this process (a flow completed,
///   a refresh, a grant refused, a delete) forgets its entry before the change is answered, and
///   is published so that other replicas forget theirs when the store's change notification
///   arrives (`StoreChange.connection`). An entry also lapses after `ttl`, which bounds what a
///   change made outside Gatehouse (SQL by hand) can leave behind.
/// - While the change channel is down (and, on a shared store, until it is first up), changes
///   made by other replicas cannot arrive: entries lapse after `channelDownTTL` instead, and
///   everything is forgotten when the channel goes down and when it is back.
/// - A read that started before a change cannot put the old row back: fills carry the
///   generation they began in, and any change moves the generation on.
/// - It holds what the store holds: the token set stays sealed here too.
package final class ConnectionCache: Sendable {
    private struct Key: Hashable {
        let userID: String
        let providerID: String
    }

    private struct State {
        var entries: [Key: (connection: Connection, loaded: Date)] = [:]
        var keys: [String: Key] = [:]
        var generation: UInt64 = 0
    }

    private let state = Mutex(State())
    private let limit: Int
    private let ttl: TimeInterval
    private let channelUp: Atomic<Bool>
    /// How long an entry is kept while the change channel is down.
    package static let channelDownTTL: TimeInterval = 1
    private let now: @Sendable () -> Date
    private let telemetry: Telemetry

    /// A cache of at most `limit` connections, each kept at most `ttl` seconds; `channelUp`
    /// false when other replicas' changes cannot arrive yet (a shared store before its listener
    /// is up).
    package init(
        limit: Int = 10_000, ttl: TimeInterval = 30, channelUp: Bool = true, telemetry: Telemetry = .none,
        now: @escaping @Sendable () -> Date = Date.init
    ) {
        self.limit = limit
        self.ttl = ttl
        self.channelUp = Atomic(channelUp)
        self.telemetry = telemetry
        self.now = now
    }

    /// The user's connection with the provider: from memory when it is there and fresh, else
    /// from `load` (kept for the next call).
    package func connection(
        userID: String, providerID: String, load: () async throws -> Connection?
    ) async throws -> Connection? {
        let key = Key(userID: userID, providerID: providerID)
        let time = now()
        let lifetime = channelUp.load(ordering: .relaxed) ? ttl : min(ttl, Self.channelDownTTL)
        let (hit, generation) = state.withLock { state in
            (state.entries[key].flatMap { time.timeIntervalSince($0.loaded) < lifetime ? $0.connection : nil }, state.generation)
        }
        telemetry.cacheLookup(.connection, hit: hit != nil)
        if let hit { return hit }
        guard let loaded = try await load() else { return nil }
        state.withLock { state in
            // Something changed while the row was read: it may be the old one.
            guard state.generation == generation else { return }
            if state.entries[key] == nil, state.entries.count >= limit, let victim = state.entries.first {
                state.entries.remove(at: state.entries.startIndex)
                state.keys[victim.value.connection.id] = nil
            }
            if let previous = state.entries[key]?.connection.id, previous != loaded.id { state.keys[previous] = nil }
            state.entries[key] = (loaded, time)
            state.keys[loaded.id] = key
        }
        return loaded
    }

    /// Forgets one connection (it changed or was deleted).
    package func forget(connectionID: String) {
        state.withLock { state in
            state.generation &+= 1
            if let key = state.keys.removeValue(forKey: connectionID) { state.entries[key] = nil }
        }
    }

    /// Forgets a connection changed here, and tells the other replicas through the store.
    package func changed(_ connectionID: String, announcingThrough store: any Store) async {
        forget(connectionID: connectionID)
        // Best effort, like a flow's wake: the other replicas' entries lapse after `ttl`.
        try? await store.publish(.connection(connectionID))
    }

    /// Deletes a connection from the store and forgets it here and, through the store's change
    /// channel, on every replica, before returning: no token of a deleted grant is handed out
    /// after the delete has answered. Returns the connection as it was deleted (nil: there was
    /// none); with an `order`, the store queues its revocation in the delete's transaction.
    package func delete(id: String, from store: any Store, queueing order: RevocationOrder?) async throws
        -> Connection?
    {
        guard let deleted = try await store.deleteConnection(id: id, queueing: order) else { return nil }
        // PostgreSQL's delete has announced itself when it committed; this second announcement is
        // the one the other stores make, and on PostgreSQL a harmless repeat.
        await changed(id, announcingThrough: store)
        return deleted
    }

    /// Forgets every connection (changes may have been missed).
    package func forgetAll() {
        state.withLock { state in
            state.generation &+= 1
            state.entries.removeAll()
            state.keys.removeAll()
        }
    }

    /// The change channel went down (false) or is back (true): everything is forgotten, and
    /// while it is down entries lapse after `channelDownTTL`.
    package func channel(up: Bool) {
        channelUp.store(up, ordering: .relaxed)
        forgetAll()
    }

    /// How many connections are held.
    package var count: Int { state.withLock { $0.entries.count } }
}
