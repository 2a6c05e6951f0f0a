import Foundation
import GatehouseCore
import GatehousePostgres
import GatehouseTestSupport
import Logging
import PostgresNIO
import Testing

/// A change of template, or a rename, against a flow completing at the same moment on another
/// replica: the grant either is counted by the change's connections check or finds its flow
/// gone, never lands under the changed provider unseen (`ProviderReplacement`).
@Suite(.enabled(if: StoreBackend.available.contains(.postgres), "needs GATEHOUSE_TEST_POSTGRES_URL (scripts/test.sh)"))
struct PostgresProviderChangeTests {
    let logger = Logger(label: "test")

    /// Starts another replica's completion of a flow of provider `p` (the flow's row first,
    /// then the connection, as `completeFlow` writes them), runs `change` while it is not yet
    /// committed, commits it, checks that the completion stands, and returns what `change` threw.
    func changeDuringACompletion(
        _ change: @escaping @Sendable (PostgresStore) async throws -> ProviderReplacement?
    ) async throws -> GatehouseError? {
        var thrown: GatehouseError?
        try await StoreBackend.withPostgres { store, settings in
            try await store.insertProvider(ProviderGrantsContractTests.record("p", template: "{}"))
            let started = try await store.insertFlowDeduplicated(makeFlow(user: "race", provider: "p"), now: Date())
            let flow = try #require(try await store.consumeState(hash: started.stateHash, now: Date()))
            try await StoreBackend.withClient(settings) { other in
                try await other.withConnection { completion in
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
                    let changing = Task { try await change(store) }
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
                    do {
                        _ = try await changing.value
                    } catch let error as GatehouseError {
                        thrown = error
                    }
                }
            }
            #expect(try await store.flow(id: flow.id)?.status == .completed)
            #expect(try await store.provider(id: "p")?.templateJSON == Array("{}".utf8))
            #expect(try await store.connection(userID: "race", providerID: "p") != nil)
        }
        return thrown
    }

    @Test func aTemplateChangeWaitsForACompletionUnderWayAndThenCountsItsConnection() async throws {
        let error = try await changeDuringACompletion { store in
            try await store.updateProvider(
                id: "p", with: ProviderGrantsContractTests.record("p", template: #"{"moved":true}"#),
                unlessConnected: GatehouseError(.conflict, "moves"), basedOn: nil)
        }
        #expect(error?.message == "moves")
    }

    @Test func aRenameWaitsForACompletionUnderWayAndThenCountsItsConnection() async throws {
        let error = try await changeDuringACompletion { store in
            try await store.updateProvider(id: "p", with: ProviderGrantsContractTests.record("r", template: "{}"))
        }
        #expect(error?.code == .conflict && error?.message.contains("has connections") == true, "\(String(describing: error))")
    }
}
