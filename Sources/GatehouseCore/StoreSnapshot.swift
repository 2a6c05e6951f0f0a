import Crypto
import Foundation
import GatehouseWire

/// Everything a store holds, for moving an install between backends (`gatehouse store copy`).
/// Refresh leases are not part of it: they are moments, not state.
package struct StoreSnapshot: Sendable {
    /// Whether a setting is part of the store's data: the records of servers running on the
    /// source (`RunningServer`) are not, since no server runs on the copy yet.
    package static func copies(setting key: String) -> Bool {
        !key.hasPrefix(RunningServer.settingPrefix)
    }

    /// Every provider, its client secret sealed.
    package var providers: [ProviderRecord] = []
    /// Every flow, open and ended.
    package var flows: [Flow] = []
    /// Every connection, its tokens sealed.
    package var connections: [Connection] = []
    /// Every API key's hash, name and role.
    package var apiKeys: [APIKeyRecord] = []
    /// Every setting, by key, but the records of running servers (`copies(setting:)`).
    package var settings: [String: String] = [:]
    /// Every tool secret, sealed.
    package var secrets: [SecretRecord] = []
    /// Every deleted connection's grant still to be revoked, its tokens sealed.
    package var revocations: [PendingRevocation] = []
    /// Every deleted provider kept for its grants' revocations, its client secret sealed.
    package var retiredProviders: [RetiredProvider] = []

    /// An empty snapshot.
    package init() {}

    /// Whether it holds nothing at all.
    package var isEmpty: Bool {
        providers.isEmpty && flows.isEmpty && connections.isEmpty && apiKeys.isEmpty && settings.isEmpty && secrets.isEmpty
            && revocations.isEmpty && retiredProviders.isEmpty
    }

    /// Per table: the row count and a SHA-256 over every row in a canonical form, so two stores
    /// can be compared after a copy.
    package var summary: [(table: String, rows: Int, checksum: String)] {
        [
            ("providers", providers.map(Self.line)), ("flows", flows.map(Self.line)),
            ("connections", connections.map(Self.line)), ("api_keys", apiKeys.map(Self.line)),
            ("settings", settings.map { [$0.key, $0.value].joined(separator: "\u{1F}") }),
            ("secrets", secrets.map(Self.line)), ("revocations", revocations.map(Self.line)),
            ("retired_providers", retiredProviders.map(Self.line)),
        ].map { table, lines in
            let digest = SHA256.hash(data: Array(lines.sorted().joined(separator: "\n").utf8))
            return (table, lines.count, digest.map { String($0, radix: 16).leftPadded(to: 2) }.joined())
        }
    }

    private static func line(_ fields: [String?]) -> String {
        fields.map { $0 ?? "\u{0}" }.joined(separator: "\u{1F}")
    }

    private static func hex(_ bytes: [UInt8]?) -> String? {
        bytes.map { $0.map { String($0, radix: 16).leftPadded(to: 2) }.joined() }
    }

    private static func time(_ date: Date) -> String { String(date.timeIntervalSince1970) }

    private static func json<T: Encodable>(_ value: T?) -> String? {
        value.flatMap { try? String(decoding: JSONEncoder.sorted.encode($0), as: UTF8.self) }
    }

    private static func line(_ p: ProviderRecord) -> String {
        line([
            p.id, p.description, p.providerType, String(p.enabled), p.source, hex(p.templateJSON), hex(p.sealedSecret),
            p.secretHint, time(p.createdAt), time(p.updatedAt),
        ])
    }

    private static func line(_ f: Flow) -> String {
        line([
            f.id, f.userID, f.providerID, json(f.requestedScopes), json(f.authorizeScopes), f.stateHash, hex(f.sealedVerifier),
            hex(f.sealedURL), f.nextURI, f.status.rawValue, String(f.stateUsed), f.stateUsedAt.map(time), f.verificationHash,
            hex(f.sealedTokens),
            json(f.userInfo), f.failureReason, time(f.createdAt), time(f.expiresAt), String(f.version),
        ])
    }

    private static func line(_ c: Connection) -> String {
        line([
            c.id, c.userID, c.providerID, json(c.scopes), hex(c.sealedTokens), time(c.expiresAt), json(c.userInfo),
            c.status.rawValue, c.authID, time(c.createdAt), time(c.updatedAt), String(c.version),
        ])
    }

    private static func line(_ k: APIKeyRecord) -> String {
        line([k.hash, k.name, k.role.rawValue, time(k.createdAt), k.lastUsedAt.map(time)])
    }

    private static func line(_ s: SecretRecord) -> String {
        line([s.id, s.key, hex(s.sealedValue), s.description, s.hint, time(s.createdAt), time(s.updatedAt)])
    }

    private static func line(_ r: RetiredProvider) -> String {
        line([r.key, time(r.retiredAt), line(r.record)])
    }

    private static func line(_ r: PendingRevocation) -> String {
        line([
            r.id, r.userID, r.providerID, hex(r.sealedTokens), json(r.userInfo), time(r.createdAt), String(r.attempts),
            time(r.nextAttemptAt), r.lastError, r.destination, r.retiredProvider,
        ])
    }
}

extension String {
    fileprivate func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}
