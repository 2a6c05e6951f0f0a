import Foundation
import GatehouseCore
import GatehouseTestSupport
import Logging
import Testing

/// Moving an install: what one backend exports, every backend imports, row for row.
@Suite struct StoreSnapshotTests {
    static let pairs: [(StoreBackend, StoreBackend)] = StoreBackend.available.flatMap { from in
        StoreBackend.available.map { (from, $0) }
    }

    /// A store with a row in every table.
    static func fill(_ store: any Store) async throws {
        let now = Date(timeIntervalSince1970: 1_700_000_000.123_456)
        let cipher = try TokenCipher(keys: [RootKey.generate(id: "k")], defaultKeyID: "k")
        try await store.insertProvider(
            ProviderRecord(
                id: "p", description: "d", providerType: "google", enabled: true, source: "api", templateJSON: Array("{}".utf8),
                sealedSecret: [1, 2], secretHint: "wxyz", createdAt: now, updatedAt: now))
        _ = try await store.insertFlowDeduplicated(makeFlow(user: "open", now: now), now: now)
        let used = try await store.insertFlowDeduplicated(makeFlow(user: "used", now: now), now: now)
        _ = try #require(try await store.consumeState(hash: used.stateHash, now: now))
        var done = try await store.insertFlowDeduplicated(makeFlow(user: "done", now: now), now: now)
        done.status = .completed
        done.userInfo = ["sub": .string("é")]
        done = try #require(try await store.updateFlow(done, expectedVersion: done.version))
        var connection = try await storeStaleConnection(store, cipher: cipher, user: "u\u{301}")
        connection.authID = done.id
        _ = try await store.upsertConnection(connection)
        // A deleted connection whose revocation failed once.
        let gone = try await storeStaleConnection(store, cipher: cipher, user: "gone")
        _ = try await store.deleteConnection(id: gone.id, queueing: RevocationOrder(deletedAt: now, destination: "https://p"))
        try await store.postponeRevocation(id: gone.id, until: now.addingTimeInterval(60), reason: "HTTP 503")
        // A provider deleted with a connection, kept for that grant's revocation.
        try await store.insertProvider(RetiredProviderContractTests.record("retired"))
        _ = try await ProviderGrantsContractTests.grant(store, user: "u", provider: "retired")
        _ = try await store.deleteProvider(id: "retired", revokingAt: now)
        try await store.insertAPIKey(
            APIKeyRecord(hash: String(repeating: "a", count: 64), name: "admin", role: .admin, createdAt: now))
        try await store.setSetting("session_verification", value: #"{"unsafeSkip":false}"#)
        // A server running on the source: not part of the data, not copied.
        await ServerHeartbeat(store: store, keyIDs: ["k"], defaultKeyID: "k", logger: Logger(label: "test")).beat()
        _ = try await store.upsertSecret(
            SecretRecord(id: "sec_1", key: "k", sealedValue: [9], description: nil, hint: "h", createdAt: now, updatedAt: now))
    }

    @Test(arguments: pairs)
    func aSnapshotMovesRowForRow(from: StoreBackend, to: StoreBackend) async throws {
        try await from.withStore { source in
            try await Self.fill(source)
            let exported = try await source.exportAll()
            try await to.withStore { target in
                #expect(try await target.exportAll().isEmpty)
                try await target.importAll(exported, replacing: false)
                let copied = try await target.exportAll()
                #expect(copied.summary.map(\.rows) == exported.summary.map(\.rows))
                #expect(copied.summary.map(\.checksum) == exported.summary.map(\.checksum))
                #expect(copied.summary.allSatisfy { $0.rows > 0 })
                #expect(exported.settings.keys.sorted() == ["session_verification"])
                #expect(try await target.settings(prefix: RunningServer.settingPrefix).isEmpty)
                let used = try #require(copied.flows.first { $0.userID == "used" })
                #expect(used.stateUsed && used.stateUsedAt == Date(timeIntervalSince1970: 1_700_000_000.123_456))
                // The copy works as a store: the open flow still holds its dedupe key.
                let open = try #require(exported.flows.first { $0.userID == "open" })
                let later = open.createdAt.addingTimeInterval(1)
                #expect(try await target.insertFlowDeduplicated(makeFlow(user: "open", now: later), now: later).id == open.id)
                // Replacing starts from nothing.
                try await target.importAll(exported, replacing: true)
                #expect(try await target.exportAll().summary.map(\.checksum) == exported.summary.map(\.checksum))
            }
        }
    }
}
