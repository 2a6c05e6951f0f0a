import Foundation

/// What a running `gatehouse serve` says of itself in the store (`ServerHeartbeat`): which root
/// keys it holds. `gatehouse reencrypt` reads it, so that it does not re-seal values under a key
/// that a server still running cannot open.
package struct RunningServer: Codable, Sendable, Equatable {
    /// The machine's host name.
    package var host: String
    /// The process id.
    package var pid: Int32
    /// The root key ids it can open.
    package var keyIDs: [String]
    /// The root key id it seals under.
    package var defaultKeyID: String
    /// When it last said so, on the store's clock (`Store.sharedTime`).
    package var seen: Date

    enum CodingKeys: String, CodingKey {
        case host, pid, seen
        case keyIDs = "key_ids"
        case defaultKeyID = "default_key_id"
    }

    /// Creates a record.
    package init(host: String, pid: Int32, keyIDs: [String], defaultKeyID: String, seen: Date) {
        self.host = host
        self.pid = pid
        self.keyIDs = keyIDs
        self.defaultKeyID = defaultKeyID
        self.seen = seen
    }

    /// The prefix of the settings that hold the records, one per server start.
    package static let settingPrefix = "server:"
    /// How often a server says it is running.
    package static let heartbeat: Duration = .seconds(30)
    /// How long after its last heartbeat a server counts as running: three heartbeats, so one
    /// slow write does not make it look gone.
    package static let liveFor: TimeInterval = 90
    /// A record this old belongs to a server that ended without removing it (killed): the next
    /// heartbeat of any server removes it.
    package static let forgottenAfter: TimeInterval = 24 * 3600

    /// A key for a new start's record.
    package static func newKey() -> String { settingPrefix + SecureRandom.identifier(prefix: "") }

    /// The keys of the records of servers that said they were running within `liveFor` of `now`
    /// (the store's time); a record this build cannot read counts (a newer build's, during a
    /// rolling upgrade).
    package static func liveKeys(in store: any Store, now: Date) async throws -> Set<String> {
        Set(
            try await store.settings(prefix: settingPrefix).compactMap { key, value in
                guard let record = decoded(value) else { return key }
                return now.timeIntervalSince(record.seen) < liveFor ? key : nil
            })
    }

    /// The servers that said they were running within `liveFor` of `now`, by host and pid.
    package static func running(in store: any Store, now: Date) async throws -> [RunningServer] {
        try await store.settings(prefix: settingPrefix).values.compactMap(decoded)
            .filter { now.timeIntervalSince($0.seen) < liveFor }
            .sorted { ($0.host, $0.pid) < ($1.host, $1.pid) }
    }

    /// A record as stored; nil for one this build cannot read.
    package static func decoded(_ value: String) -> RunningServer? {
        try? JSONDecoder().decode(RunningServer.self, from: Data(value.utf8))
    }

    /// The record as stored.
    var encoded: String {
        get throws { String(decoding: try JSONEncoder.sorted.encode(self), as: UTF8.self) }
    }

    /// "host (pid 12, root keys k1, k2)", as a message names it.
    package var described: String {
        "\(host) (pid \(pid), root keys \(keyIDs.joined(separator: ", ")))"
    }
}
