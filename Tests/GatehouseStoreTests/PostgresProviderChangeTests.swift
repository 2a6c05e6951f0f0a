import Foundation
import GatehouseCore
import GatehousePostgres
import GatehouseTestSupport
import Logging
import PostgresNIO
import Testing

/// A change of template against a flow completing at the same moment on another replica: the
/// grant either is counted by the change's connections check or finds its flow failed, never
/// lands under the new template unseen (`ProviderReplacement`).
@Suite(.enabled(if: StoreBackend.available.contains(.postgres), "needs GATEHOUSE_TEST_POSTGRES_URL (scripts/test.sh)"))
struct PostgresProviderChangeTests {
    let logger = Logger(label: "test")

    @Test func aChangeWaitsForACompletionUnderWayAndThenCountsItsConnection() async throws {
        try await StoreBackend.withPostgres { store, settings in
            try await store.insertProvider(ProviderGrantsContractTests.record("p", template: "{}"))
            let started = try await store.insertFlowDeduplicated(makeFlow(user: "race", provider: "p"), now: Date())
            let flow = try #require(try await store.consumeState(hash: started.stateHash, now: Date()))
            try await StoreBackend.withClient(settings) { other in
                try await other.withConnection { completion in
                    // Another replica's completion, as `completeFlow` writes it: the flow's row
                    // first, then the connection, in one transaction not yet committed.
                    _ = try await completion.query("BEGIN", logger: logger)
                    _ = try await completion.query(
                        "UPDATE flows SET status = 'completed', open_key = NULL, version = version + 1 WHERE id = \(flow.id)",
                        logger: logger)
                    let now = Date().timeIntervalSince1970
                    _ = try await completion.query(
                        """
                        INSERT INTO connections (id, user_id, provider_id, scopes, sealed_tokens, expires_at, user_info,
                            status, auth_id, created_at, updated_at, version)
                        VALUES ('uc_race', 'race', 'p', '["a"]', '\\x00'::bytea, \(now + 3600), NULL, 'active', \(flow.id),
                            \(now), \(now), 1)
                        """, logger: logger)
                    let change = Task {
                        try await store.updateProvider(
                            id: "p", with: ProviderGrantsContractTests.record("p", template: #"{"moved":true}"#),
                            unlessConnected: GatehouseError(.conflict, "moves"))
                    }
                    // The change waits on the flow's row...
                    var waiting = false
                    for _ in 0..<500 where !waiting {
                        try await Task.sleep(for: .milliseconds(10))
                        let rows = try await completion.query(
                            "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database()",
                            logger: logger)
                        for try await count in rows.decode(Int.self) { waiting = count > 0 }
                    }
                    #expect(waiting, "the change waits for the completion's row lock")
                    // ...and after the commit, sees the connection and refuses.
                    _ = try await completion.query("COMMIT", logger: logger)
                    let refused = await #expect(throws: GatehouseError.self) { try await change.value }
                    #expect(refused?.message == "moves")
                }
            }
            #expect(try await store.flow(id: flow.id)?.status == .completed)
            #expect(try await store.provider(id: "p")?.templateJSON == Array("{}".utf8))
            #expect(try await store.connection(userID: "race", providerID: "p") != nil)
        }
    }
}
