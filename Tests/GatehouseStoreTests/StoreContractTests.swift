import Foundation
import GatehouseCore
import GatehouseTestSupport
import Logging
import Synchronization
import Testing

/// The `Store` contract, stated once and run on every backend: what SQLite's and PostgreSQL's
/// SQL must both do.
@Suite struct StoreContractTests {
    @Test(arguments: StoreBackend.available)
    func stateIsSingleUseAndExpires(backend: StoreBackend) async throws {
        try await backend.withStore { store in
            let now = Date()
            let flow = try await store.insertFlowDeduplicated(makeFlow(now: now), now: now)
            #expect(try await store.consumeState(hash: flow.stateHash, now: now.addingTimeInterval(601)) == nil)
            let consumed = try #require(try await store.consumeState(hash: flow.stateHash, now: now, by: "server:taker"))
            #expect(consumed.id == flow.id && consumed.stateUsed && consumed.stateUsedBy == "server:taker")
            // When, to the millisecond: an interrupted callback is judged by it.
            #expect(abs(try #require(consumed.stateUsedAt).timeIntervalSince(now)) < 0.001)
            #expect(try await store.consumeState(hash: flow.stateHash, now: now) == nil)
            // Found by its state still, used (a reload of the callback).
            let found = try #require(try await store.flow(stateHash: flow.stateHash))
            #expect(found.id == flow.id && found.stateUsed && found.stateUsedAt == consumed.stateUsedAt)
            // And by whom: a replica whose record is gone took it (`AuthBroker.callbackStopped`).
            #expect(try await store.flow(id: flow.id)?.stateUsedBy == "server:taker")
            #expect(try await store.flow(stateHash: "no-such-state") == nil)
            // Once its state is used, the flow no longer holds the dedupe key.
            #expect(try await store.insertFlowDeduplicated(makeFlow(now: now), now: now).id != flow.id)
            // A flow whose state is used lives `callbackLimit` more at least: its callback, and the
            // user's verification, can finish.
            let short = try await store.insertFlowDeduplicated(makeFlow(user: "s", now: now, ttl: 10), now: now)
            let late = try #require(try await store.consumeState(hash: short.stateHash, now: now.addingTimeInterval(9)))
            #expect(abs(late.expiresAt.timeIntervalSince(now) - (9 + Flow.callbackLimit)) < 0.001)
            #expect(try await store.flow(id: short.id)?.expiresAt == late.expiresAt)
        }
    }

    @Test(arguments: StoreBackend.available)
    func flowUpdatesAreOptimistic(backend: StoreBackend) async throws {
        try await backend.withStore { store in
            let flow = try await store.insertFlowDeduplicated(makeFlow(), now: Date())
            var failed = flow
            failed.status = .failed
            let stored = try #require(try await store.updateFlow(failed, expectedVersion: flow.version))
            #expect(stored.version == flow.version + 1 && stored.status == .failed)
            #expect(try await store.updateFlow(failed, expectedVersion: flow.version) == nil)
        }
    }

    @Test(arguments: StoreBackend.available)
    func connectionsUpsertByUserAndProviderAndPage(backend: StoreBackend) async throws {
        try await backend.withStore { store in
            let cipher = try TokenCipher(keys: [RootKey.generate(id: "k")], defaultKeyID: "k")
            let first = try await storeStaleConnection(store, cipher: cipher, user: "u1")
            var again = first
            again.id = "uc_other"
            again.scopes = ["a", "b"]
            let replaced = try await store.upsertConnection(again)
            #expect(replaced.id == first.id && replaced.scopes == ["a", "b"] && replaced.version == first.version + 1)
            for user in ["u2", "u3"] { _ = try await storeStaleConnection(store, cipher: cipher, user: user) }
            let page = try await store.connections(ConnectionQuery(limit: 2, offset: 1))
            #expect(page.total == 3 && page.items.map(\.userID) == ["u2", "u3"])
            let one = try await store.connections(ConnectionQuery(userID: "u2", providerID: "p"))
            #expect(one.total == 1 && one.items.first?.userID == "u2")
            #expect(try await store.connections(ConnectionQuery(providerID: "nope")).total == 0)
            // The row as it was deleted: its latest tokens are what a revocation sends.
            let deleted = try #require(try await store.deleteConnection(id: first.id))
            #expect(deleted.id == first.id && deleted.scopes == ["a", "b"] && deleted.sealedTokens == again.sealedTokens)
            #expect(try await store.deleteConnection(id: first.id) == nil)
        }
    }

    @Test(arguments: StoreBackend.available)
    func oldEndedFlowsAndLapsedSignOutsAreSweptUnlessAConnectionNamesThem(backend: StoreBackend) async throws {
        try await backend.withStore { store in
            let cipher = try TokenCipher(keys: [RootKey.generate(id: "k")], defaultKeyID: "k")
            let long = Date().addingTimeInterval(-30 * 24 * 3600)
            let ended = try await store.insertFlowDeduplicated(makeFlow(user: "a", now: long), now: long)
            var failed = ended
            failed.status = .failed
            _ = try await store.updateFlow(failed, expectedVersion: ended.version)
            let expired = try await store.insertFlowDeduplicated(makeFlow(user: "b", now: long), now: long)
            let named = try await store.insertFlowDeduplicated(makeFlow(user: "c", now: long), now: long)
            var connection = try await storeStaleConnection(store, cipher: cipher, user: "c")
            connection.authID = named.id
            _ = try await store.upsertConnection(connection)
            let recent = try await store.insertFlowDeduplicated(makeFlow(user: "d"), now: Date())
            // Lapsed more than the janitor's five minutes ago.
            try await store.endDashboardSession("lapsed", until: Date().addingTimeInterval(-301))
            try await store.endDashboardSession("live", until: Date().addingTimeInterval(3600))
            // Lapsed a minute ago: kept a little longer for a replica whose clock is behind.
            try await store.endDashboardSession("just-lapsed", until: Date().addingTimeInterval(-60))

            let janitor = FlowJanitor(store: store, logger: Logger(label: "test"))
            await janitor.sweep()
            #expect(try await !store.dashboardSessionEnded("lapsed"))
            #expect(try await store.dashboardSessionEnded("live"))
            #expect(try await store.dashboardSessionEnded("just-lapsed"))
            #expect(try await store.flow(id: ended.id) == nil)
            #expect(try await store.flow(id: expired.id) == nil)
            #expect(try await store.flow(id: named.id) != nil)
            #expect(try await store.flow(id: recent.id) != nil)
        }
    }

    @Test(arguments: StoreBackend.available)
    func twoRacingDedupesGiveOneFlow(backend: StoreBackend) async throws {
        try await backend.withStore { store in
            let now = Date()
            let ids = try await withThrowingTaskGroup(of: String.self) { group in
                for _ in 0..<8 {
                    group.addTask { try await store.insertFlowDeduplicated(makeFlow(user: "race", now: now), now: now).id }
                }
                return try await group.reduce(into: Set<String>()) { $0.insert($1) }
            }
            #expect(ids.count == 1)
        }
    }

    @Test(arguments: StoreBackend.available)
    func twoRacingLeasesGiveOneWinner(backend: StoreBackend) async throws {
        try await backend.withStore { store in
            let cipher = try TokenCipher(keys: [RootKey.generate(id: "k")], defaultKeyID: "k")
            let connection = try await storeStaleConnection(store, cipher: cipher)
            let now = Date()
            let winners = try await withThrowingTaskGroup(of: Bool.self) { group in
                for owner in 0..<8 {
                    group.addTask {
                        try await store.acquireRefreshLease(
                            connectionID: connection.id, owner: "o\(owner)", lasting: 30, now: now) != nil
                    }
                }
                return try await group.reduce(0) { $0 + ($1 ? 1 : 0) }
            }
            #expect(winners == 1)
        }
    }

    @Test(arguments: StoreBackend.available)
    func providersInsertUpdateUpsertAndDelete(backend: StoreBackend) async throws {
        try await backend.withStore { store in
            let now = Date(timeIntervalSince1970: 1_700_000_000)
            let record = ProviderRecord(
                id: "p1", description: "one", providerType: "", enabled: true, source: "api", templateJSON: Array("{}".utf8),
                sealedSecret: [1, 2, 3], secretHint: "abcd", createdAt: now, updatedAt: now)
            try await store.insertProvider(record)
            await #expect(throws: GatehouseError.self) { try await store.insertProvider(record) }
            #expect(try await store.provider(id: "p1") == record)
            var second = record
            second.id = "p2"
            try await store.insertProvider(second)
            var renamed = record
            renamed.id = "p2"
            await #expect(throws: GatehouseError.self) { _ = try await store.updateProvider(id: "p1", with: renamed) }
            renamed.id = "p3"
            renamed.enabled = false
            renamed.sealedSecret = nil
            #expect(try await store.updateProvider(id: "p1", with: renamed) != nil)
            #expect(try await store.provider(id: "p1") == nil)
            #expect(try await store.provider(id: "p3") == renamed)
            #expect(try await store.updateProvider(id: "nope", with: renamed) == nil)
            var changed = second
            changed.description = "two"
            changed.source = "config"
            try await store.upsertProvider(changed)
            #expect(try await store.providers().map(\.id) == ["p2", "p3"])
            #expect(try await store.provider(id: "p2")?.description == "two")
            #expect(try await store.deleteProvider(id: "p2") == changed)
            #expect(try await store.deleteProvider(id: "p2") == nil)
        }
    }

    @Test(arguments: StoreBackend.available)
    func secretsUpsertByKeyAndDeleteByID(backend: StoreBackend) async throws {
        try await backend.withStore { store in
            let now = Date(timeIntervalSince1970: 1_700_000_000)
            let first = try await store.upsertSecret(
                SecretRecord(
                    id: "sec_1", key: "k", sealedValue: [1], description: "d", hint: nil, createdAt: now, updatedAt: now))
            let second = try await store.upsertSecret(
                SecretRecord(id: "sec_2", key: "k", sealedValue: [2], description: nil, hint: "h", createdAt: now, updatedAt: now)
            )
            // The key keeps its first id and description; the value is replaced.
            #expect(second.id == first.id && second.description == "d" && second.sealedValue == [2])
            #expect(try await store.secrets().count == 1)
            #expect(try await store.deleteSecret(id: first.id))
            #expect(!(try await store.deleteSecret(id: first.id)))
        }
    }

    @Test(arguments: StoreBackend.available)
    func apiKeysAndSettings(backend: StoreBackend) async throws {
        try await backend.withStore { store in
            let now = Date(timeIntervalSince1970: 1_700_000_000)
            let hash = String(repeating: "ab", count: 32)
            try await store.insertAPIKey(APIKeyRecord(hash: hash, name: "admin", role: .admin, createdAt: now))
            try await store.insertAPIKey(
                APIKeyRecord(hash: String(repeating: "cd", count: 32), name: "agent", role: .app, createdAt: now + 1))
            #expect(try await store.apiKeyCount() == 2)
            #expect(try await store.apiKey(hash: hash)?.role == .admin)
            #expect(try await store.apiKeys().map(\.name) == ["admin", "agent"])
            #expect(try await store.deleteAPIKeys(hashPrefix: "abab") == 0)
            #expect(try await store.deleteAPIKeys(hashPrefix: "ABABABAB") == 1)
            #expect(try await store.apiKey(hash: hash) == nil)
            #expect(try await store.setting("s") == nil)
            try await store.setSetting("s", value: "1")
            try await store.setSetting("s", value: "2")
            #expect(try await store.setting("s") == "2")
            // By prefix, bytes not patterns: `%` and `_` match only themselves.
            try await store.setSetting("server:a", value: "A")
            try await store.setSetting("server:b", value: "B")
            try await store.setSetting("serverx", value: "X")
            try await store.setSetting("s%:c", value: "C")
            #expect(try await store.settings(prefix: "server:") == ["server:a": "A", "server:b": "B"])
            #expect(try await store.settings(prefix: "s%:") == ["s%:c": "C"])
            try await store.deleteSetting("server:a")
            try await store.deleteSetting("server:nope")
            #expect(try await store.settings(prefix: "server:") == ["server:b": "B"])
            #expect(try await store.setting("s") == "2")
        }
    }

    @Test(arguments: StoreBackend.available)
    func sealedFieldsAreSwappedOnlyIfUnchanged(backend: StoreBackend) async throws {
        try await backend.withStore { store in
            let flow = try await store.insertFlowDeduplicated(makeFlow(), now: Date())
            let fields = try await store.sealedFields(.flowURL)
            #expect(fields.map(\.rowID) == [flow.id] && fields.first?.context == "flow-url:\(flow.id)")
            let field = try #require(fields.first)
            #expect(try await store.replaceSealedField(field, with: [7]))
            #expect(try await !store.replaceSealedField(field, with: [8]))
            #expect(try await store.flow(id: flow.id)?.sealedURL == [7])
        }
    }

    /// Writes that arrive together (committed together on SQLite) are still answered one by
    /// one: a conflicting insert fails alone, and every other write is stored.
    @Test(arguments: StoreBackend.available)
    func concurrentWritesAreAnsweredEachOnItsOwn(backend: StoreBackend) async throws {
        try await backend.withStore { store in
            let now = Date(timeIntervalSince1970: 1_700_000_000)
            let outcomes = try await withThrowingTaskGroup(of: Bool.self) { group in
                for n in 0..<40 {
                    group.addTask {
                        let record = ProviderRecord(
                            id: "p\(n % 20)", description: nil, providerType: "", enabled: true, source: "api",
                            templateJSON: Array("{}".utf8), sealedSecret: nil, secretHint: nil, createdAt: now, updatedAt: now)
                        do {
                            try await store.insertProvider(record)
                            return true
                        } catch let error as GatehouseError where error.code == .conflict {
                            return false
                        }
                    }
                }
                return try await group.reduce(into: [Bool]()) { $0.append($1) }
            }
            #expect(outcomes.filter { $0 }.count == 20)
            #expect(try await store.providers().map(\.id).sorted() == (0..<20).map { "p\($0)" }.sorted())
        }
    }
}
