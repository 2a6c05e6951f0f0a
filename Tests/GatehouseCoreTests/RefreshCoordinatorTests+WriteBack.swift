import Foundation
import GatehouseTestSupport
import Logging
import SQLiteNIO
import Synchronization
import Testing

@testable import GatehouseCore
@testable import GatehouseSQLite

// The store cannot take a refresh's result when the provider answers.
extension RefreshCoordinatorTests {
    /// Another process holds the database file's write lock past the store's own wait when the
    /// provider's answer arrives (on PostgreSQL: a failover). The refresh tries the write again
    /// and stores the refresh token the provider rotated to: the provider has already refused
    /// the old one, so losing the new one would end the grant.
    @Test func aRefreshKeepsTheRotatedTokenThroughAStoreOutage() async throws {
        try await StoreBackend.withSQLite { store in
            let log = LogRecorder()
            let client = CountingProviderClient(rotating: true, gated: true)
            let stale = try await storeStaleConnection(store, cipher: cipher)
            let refreshing = Task {
                try await coordinator(store, client, logger: log.logger()).refresh(stale, provider: testProvider)
            }
            #expect(try await eventually { client.refreshes == 1 })
            let other = try await SQLiteConnection.open(storage: .file(path: store.path))
            _ = try await other.query("BEGIN IMMEDIATE", [])
            client.release()
            // The store gives up on the lock after 5 s; the refresh says it tries again.
            let retrying = try await eventually(.seconds(20)) {
                log.logged.contains { $0.level == .warning && $0.message.hasPrefix("could not store a refreshed token") }
            }
            _ = try await other.query("COMMIT", [])
            try await other.close()
            #expect(retrying)
            #expect(try token(of: try await refreshing.value) == "refreshed-1")
            let stored = try #require(try await store.connection(id: stale.id))
            let tokens = try cipher.open(
                TokenSet.self, from: stored.sealedTokens, context: Connection.cipherContext(providerID: "p", userID: "u"))
            #expect(tokens.accessToken == "refreshed-1" && tokens.refreshToken == "rt-1")
            #expect(stored.status == .active)
            #expect(client.refreshes == 1)
        }
    }

    /// The write committed but its answer was lost (a connection that dropped after the
    /// commit): the next try finds the row this refresh wrote, and the refresh ends as one that
    /// stored its tokens (announced, counted, logged), not as one that lost its lease.
    @Test func aWriteWhoseAnswerWasLostIsKnownAsItsOwn() async throws {
        try await StoreBackend.withSQLite { sqlite in
            let answerLost = Atomic(true)
            let store = InterposedStore(
                sqlite,
                completing: { connection, owner, base in
                    let written = try await base.completeRefresh(connection, owner: owner)
                    if answerLost.exchange(false, ordering: .relaxed) {
                        throw GatehouseError(.storeUnavailable, "the connection ended before the answer")
                    }
                    return written
                })
            let log = LogRecorder()
            let client = CountingProviderClient(rotating: true)
            let stale = try await storeStaleConnection(store, cipher: cipher)
            let refreshed = try await coordinator(store, client, logger: log.logger()).refresh(stale, provider: testProvider)
            #expect(try token(of: refreshed) == "refreshed-1")
            #expect(log.logged.contains { $0.message == "refreshed token" })
            #expect(client.refreshes == 1)
        }
    }
}
