import Foundation
import GatehouseCore
import GatehouseSQLite
import GatehouseTestSupport
import Logging
import Synchronization
import Testing

@testable import GatehouseServer

/// Deleting a connection through the admin API and the dashboard's route revokes its grant at
/// the provider when the template says how, and stands when the provider refuses.
@Suite struct ConnectionRevocationTests {
    /// The provider with a revocation request; its revocation endpoint answers `status`.
    func run(
        revocationStatus status: Int, logger: Logger = Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }),
        _ body: @escaping @Sendable (APIHarness) async throws -> Void
    ) async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("gh-rev-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let provider = FakeProvider()
        provider.transport.respond { request in
            guard request.bareURL == FakeProvider.base + "/revoke" else { return nil }
            return OutboundResponse(status: status, headers: [:], body: status == 200 ? [] : Array(#"{"error":"nope"}"#.utf8))
        }
        try await APIHarness.run(
            configuration: GatehouseConfiguration(port: 0, dataDirectory: directory), provider: provider, logger: logger
        ) { api in
            try await api.createProvider()
            // A new request that gets the client's credentials needs the secret again.
            let revocation = #"{"endpoint":"\#(FakeProvider.base)/revoke"}"#
            let patch = try await api.call(
                .patch, "/v1/admin/auth_providers/fake",
                json: #"{"oauth2":{"client_secret":"secret-1","token_revocation_request":\#(revocation)}}"#)
            #expect(patch.status == .ok, "\(String(buffer: patch.body))")
            let shown = try api.object(patch)["oauth2"] as? [String: Any]
            #expect(
                (shown?["token_revocation_request"] as? [String: Any])?["endpoint"] as? String == FakeProvider.base + "/revoke")
            try await body(api)
        }
    }

    func revocations(_ api: APIHarness) -> [OutboundRequest] {
        api.provider.transport.requests.filter { $0.bareURL == FakeProvider.base + "/revoke" }
    }

    @Test func aDeleteRevokesTheRefreshTokenAtTheProvider() async throws {
        try await run(revocationStatus: 200) { api in
            _ = try await api.completedToken(user: "alice")
            let list = try api.object(try await api.call(.get, "/v1/admin/user_connections?user_id=alice"))
            let connection = try #require((list["items"] as? [[String: Any]])?.first?["id"] as? String)
            #expect(revocations(api).isEmpty)
            let deleted = try await api.call(.delete, "/v1/admin/user_connections/\(connection)")
            #expect(deleted.status == .noContent)
            let sent = try #require(revocations(api).first)
            #expect(revocations(api).count == 1)
            #expect(sent.form == ["token": "rt-1", "token_type_hint": "refresh_token"])
            #expect(sent.header("Authorization") == "Basic " + Data("client-1:secret-1".utf8).base64EncodedString())
            // The user must authorize again.
            #expect(try await api.authorize(user: "alice")["status"] as? String == "pending")
        }
    }

    @Test func aRefusedRevocationLeavesTheDeleteStandingAndSaysSo() async throws {
        let output = LineOutput.capture()
        let logger = Logger(label: "test") { LineLogHandler(label: $0, format: .text, output: output) }
        try await run(revocationStatus: 400, logger: logger) { api in
            _ = try await api.completedToken(user: "bob")
            let list = try api.object(try await api.call(.get, "/v1/admin/user_connections?user_id=bob"))
            let connection = try #require((list["items"] as? [[String: Any]])?.first?["id"] as? String)
            let deleted = try await api.call(.delete, "/v1/admin/user_connections/\(connection)")
            #expect(deleted.status == .noContent)
            #expect(revocations(api).count == 1)
            let after = try api.object(try await api.call(.get, "/v1/admin/user_connections?user_id=bob"))
            #expect(after["total_count"] as? Int == 0)
        }
        let warning = try #require(output.lines.first { $0.contains("did not revoke") }, "\(output.lines)")
        #expect(warning.contains("level=warning") && warning.contains("nope") && warning.contains("provider=fake"))
        #expect(!output.lines.contains { $0.contains("rt-1") || $0.contains("at-1") || $0.contains("secret-1") })
    }

    @Test(arguments: [
        (200, "deleted-revoked", "revoked at the provider", "revoked"), (400, "deleted-not-revoked", "did not revoke", "refused"),
        (503, "deleted-revocation-pending", "Gatehouse tries again", "postponed"),
    ])
    func theDashboardAndTheMetricsSayWhatTheProviderDid(status: Int, done: String, says: String, outcome: String) async throws {
        try await run(revocationStatus: status) { api in
            _ = try await api.completedToken(user: "dana")
            let browser = try await DashboardTests.browser(api)
            let found = String(buffer: try await browser.get("/dashboard/connections?user=dana").body)
            let start = try #require(found.range(of: "/dashboard/connections/"))
            let id = String(found[start.upperBound...].prefix { $0 != "/" })
            let asked = String(buffer: try await browser.post("/dashboard/connections/\(id)/delete").body)
            #expect(asked.contains("asks fake to revoke the grant"))
            let deleted = try await browser.post("/dashboard/connections/\(id)/delete", ["confirm": "yes"])
            #expect(deleted.headers[.location] == "/dashboard/connections?done=\(done)")
            #expect(revocations(api).count == 1)
            let page = String(buffer: try await browser.get("/dashboard/connections?done=\(done)").body)
            #expect(page.contains(says) && page.contains("0 connections."), "\(page)")
            let metrics = String(buffer: try await api.call(.get, "/metrics").body)
            #expect(
                MetricsTests.value(metrics, "gatehouse_revocations_total", ["provider": "fake", "outcome": outcome]) == 1,
                "\(metrics)")
        }
    }

    /// Removing the provider queues its users' grants for revocation (the revocation job sends
    /// them, through the provider as it was), and the dashboard says so before and after.
    @Test func removingAProviderThatRevokesSaysItsGrantsAreRevoked() async throws {
        try await run(revocationStatus: 200) { api in
            _ = try await api.completedToken(user: "erin")
            let browser = try await DashboardTests.browser(api)
            let asked = String(buffer: try await browser.post("/dashboard/providers/fake/delete").body)
            #expect(asked.contains("Gatehouse asks fake to revoke their grants, in the background"), "\(asked)")
            let removed = try await browser.post("/dashboard/providers/fake/delete", ["confirm": "yes"])
            #expect(removed.headers[.location] == "/dashboard/providers?done=removed")
            let page = String(buffer: try await browser.get("/dashboard/providers?done=removed").body)
            #expect(page.contains("Gatehouse asks the provider to revoke theirs in the background"))
            // Until the job has sent them, the list says they wait, under the removed id.
            #expect(page.contains("Removed providers' grants"))
            #expect(page.contains("<li><strong>fake</strong>: 1 grant waiting to be revoked, the oldest deleted "))
            let store = try await SQLiteStore.open(
                path: api.configuration.dataDirectory + "/gatehouse.sqlite", logger: Logger(label: "test"))
            let queued = try await store.dueRevocations(now: .distantFuture, limit: 10)
            let retired = try await store.retiredProvider(key: queued.first?.retiredProvider ?? "")
            try await store.close()
            #expect(queued.map(\.userID) == ["erin"] && retired?.record.id == "fake")
            // Nothing is sent by the delete itself.
            #expect(revocations(api).isEmpty)
        }
    }

    /// A provider that could not revoke a deleted connection's grant: the providers page says
    /// how many of its grants wait to be revoked, and how long the oldest has waited.
    @Test func theProvidersPageSaysWhichGrantsWaitToBeRevoked() async throws {
        try await run(revocationStatus: 503) { api in
            for user in ["gil", "hal"] {
                _ = try await api.completedToken(user: user)
                let list = try api.object(try await api.call(.get, "/v1/admin/user_connections?user_id=\(user)"))
                let connection = try #require((list["items"] as? [[String: Any]])?.first?["id"] as? String)
                #expect(try await api.call(.delete, "/v1/admin/user_connections/\(connection)").status == .noContent)
            }
            let browser = try await DashboardTests.browser(api)
            let page = String(buffer: try await browser.get("/dashboard/providers").body)
            #expect(page.contains("<small>2 grants waiting to be revoked, the oldest deleted "), "\(page)")
            #expect(!page.contains("Removed providers' grants"))
        }
    }

    @Test func theWaitIsSaidInTheUnitThatReadsBest() {
        let now = Date()
        func said(_ count: Int, _ age: TimeInterval) -> String {
            DashboardRoutes.waiting(RevocationBacklog(count: count, oldest: now.addingTimeInterval(-age)), now: now)
        }
        #expect(said(1, 5) == "1 grant waiting to be revoked, the oldest deleted 5 s ago")
        #expect(said(2, 600) == "2 grants waiting to be revoked, the oldest deleted 10 min ago")
        #expect(said(3, 3 * 3600) == "3 grants waiting to be revoked, the oldest deleted 3 h ago")
        #expect(said(4, 3 * 86_400) == "4 grants waiting to be revoked, the oldest deleted 3 days ago")
        // A clock behind another replica's says no time, not a negative one.
        #expect(said(1, -30) == "1 grant waiting to be revoked, the oldest deleted 0 s ago")
    }

    @Test func withoutARevocationRequestADeleteSendsNothing() async throws {
        try await APIHarness.run { api in
            try await api.createProvider()
            _ = try await api.completedToken(user: "carol")
            let list = try api.object(try await api.call(.get, "/v1/admin/user_connections?user_id=carol"))
            let connection = try #require((list["items"] as? [[String: Any]])?.first?["id"] as? String)
            let before = api.provider.transport.requests.count
            #expect(try await api.call(.delete, "/v1/admin/user_connections/\(connection)").status == .noContent)
            #expect(api.provider.transport.requests.count == before)
        }
    }
}
