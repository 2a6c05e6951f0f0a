import Foundation
import GatehouseCore
import GatehouseTestSupport
import HTTPTypes
import Logging
import NIOCore
import Testing

@testable import GatehouseServer

/// Every administrative change, through the admin API and the dashboard, is one `audit` line
/// naming the action, the target and the key; never a value that was set.
@Suite struct AuditTrailTests {
    /// The audit lines logged so far, as `action target key_id [detail...]`.
    static func lines(_ recorder: LogRecorder) -> [String] {
        recorder.logged.filter { $0.message == "audit" }.map { entry in
            let detail = entry.metadata.filter { !["action", "target", "key_id", "client"].contains($0.key) }
                .sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
            return
                ([entry.metadata["action"] ?? "?", entry.metadata["target"] ?? "-", entry.metadata["key_id"] ?? "-"]
                + detail).joined(separator: " ")
        }
    }

    static func run(_ body: @escaping @Sendable (APIHarness, LogRecorder) async throws -> Void) async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("gh-audit-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let recorder = LogRecorder()
        try await APIHarness.run(
            configuration: GatehouseConfiguration(port: 0, dataDirectory: directory), logger: recorder.logger()
        ) { api in try await body(api, recorder) }
    }

    @Test func theAdminAPIsChangesAreRecordedWithoutTheirValues() async throws {
        try await Self.run { api, recorder in
            let admin = APIKeyRecord.id(of: api.key)
            try await api.createProvider()
            _ = try await api.completedToken(user: "alice")
            let listed = try api.object(try await api.call(.get, "/v1/admin/user_connections"))
            let connection = try #require((listed["items"] as? [[String: Any]])?.first?["id"] as? String)
            #expect(try await api.call(.delete, "/v1/admin/user_connections/\(connection)").status == .noContent)

            let patched = try await api.call(
                .patch, "/v1/admin/auth_providers/fake",
                json: #"{"description":"Fake","oauth2":{"client_secret":"rotated-secret-value"}}"#)
            #expect(patched.status == .ok, "\(String(buffer: patched.body))")
            // A refused change is not recorded, nor one that sends nothing: nothing changed.
            #expect(try await api.call(.patch, "/v1/admin/auth_providers/nope", json: "{}").status == .notFound)
            #expect(try await api.call(.patch, "/v1/admin/auth_providers/fake", json: "{}").status == .ok)

            let secret = try api.object(
                try await api.call(.post, "/v1/admin/secrets/SLACK_TOKEN", json: #"{"value":"tool-secret-value"}"#))
            let secretID = try #require(secret["id"] as? String)
            #expect(try await api.call(.delete, "/v1/admin/secrets/\(secretID)").status == .noContent)
            let verifier = try await api.call(
                .put, "/v1/admin/settings/session_verification",
                json: #"{"verifier_url":"http://127.0.0.1:8080/gatehouse/verify?team=7"}"#)
            #expect(verifier.status == .ok, "\(String(buffer: verifier.body))")
            let verification = try await api.call(
                .put, "/v1/admin/settings/session_verification", json: #"{"unsafe_skip_verification":true}"#)
            #expect(verification.status == .ok, "\(String(buffer: verification.body))")
            let renamed = try await api.call(.patch, "/v1/admin/auth_providers/fake", json: #"{"id":"fake2"}"#)
            #expect(renamed.status == .ok, "\(String(buffer: renamed.body))")
            #expect(try await api.call(.delete, "/v1/admin/auth_providers/fake2").status == .ok)

            #expect(
                Self.lines(recorder) == [
                    "provider.create fake \(admin)",
                    "connection.delete \(connection) \(admin) outcome=deleted provider=fake",
                    "provider.update fake \(admin) fields=description,oauth2.client_secret",
                    "secret.set SLACK_TOKEN \(admin) id=\(secretID)",
                    "secret.delete \(secretID) \(admin)",
                    "settings.session_verification.update - \(admin) mode=verifier_url verifier=http://127.0.0.1:8080",
                    "settings.session_verification.update - \(admin) mode=unsafe_skip_verification",
                    "provider.update fake \(admin) fields=id renamed_to=fake2",
                    "provider.delete fake2 \(admin)",
                ])
            let everything = recorder.logged.map { "\($0.message) \($0.metadata)" }.joined(separator: "\n")
            #expect(!everything.contains("rotated-secret-value") && !everything.contains("tool-secret-value"))
            #expect(recorder.logged.filter { $0.message == "audit" }.allSatisfy { $0.level == .notice })
        }
    }

    @Test func theDashboardsChangesAndSignInsAreRecordedWithTheSessionsKey() async throws {
        try await Self.run { api, recorder in
            let admin = APIKeyRecord.id(of: api.key)
            let browser = try await DashboardTests.browser(api)
            let added = try await browser.post(
                "/dashboard/providers",
                ["kind": "builtIn", "template": "github", "id": "gh", "client_id": "id", "client_secret": "dashboard-secret"])
            #expect(added.status == .seeOther, "\(String(buffer: added.body))")
            // The form sends every field back; only what differs is changed, and recorded.
            let edited = try await browser.post("/dashboard/providers/gh", ["description": "GitHub at work", "client_id": "id"])
            #expect(edited.status == .seeOther, "\(String(buffer: edited.body))")
            #expect(
                try await browser.post("/dashboard/providers/gh", ["description": "GitHub at work", "client_id": "id"]).status
                    == .seeOther)
            #expect(try await browser.post("/dashboard/providers/gh/disable").status == .seeOther)
            let created = try await browser.post("/dashboard/keys", ["name": "ci", "role": "app"])
            let html = String(buffer: created.body)
            let key = try #require(
                html.range(of: #"arc_[A-Za-z0-9_-]{43}"#, options: .regularExpression).map { String(html[$0]) })
            let keyID = APIKeyRecord.id(of: key)
            #expect(try await browser.post("/dashboard/keys/\(keyID)/revoke", ["confirm": "yes"]).status == .seeOther)
            #expect(try await browser.post("/dashboard/providers/gh/delete", ["confirm": "yes"]).status == .seeOther)
            try await api.createProvider()
            _ = try await api.completedToken(user: "bob")
            let listed = try api.object(try await api.call(.get, "/v1/admin/user_connections"))
            let connection = try #require((listed["items"] as? [[String: Any]])?.first?["id"] as? String)
            // Asked first: nothing changed yet.
            #expect(try await browser.post("/dashboard/connections/\(connection)/delete").status == .ok)
            #expect(try await browser.post("/dashboard/connections/\(connection)/delete", ["confirm": "yes"]).status == .seeOther)
            // Refusals: the first is said, the next within 10 s only counted (a flood would write a
            // line each).
            let app = try await api.makeKey(role: .app)
            #expect(try await DashboardTests.signIn(api, key: app).status == .unauthorized)
            #expect(try await DashboardTests.signIn(api, key: "arc_wrong").status == .unauthorized)
            #expect(try await browser.post("/dashboard/sign-out").status == .seeOther)

            #expect(
                Self.lines(recorder) == [
                    "dashboard.sign_in - \(admin)",
                    "provider.create gh \(admin)",
                    "provider.update gh \(admin) fields=description",
                    "provider.update gh \(admin) fields=enabled",
                    "api_key.create \(keyID) \(admin) name=ci role=app",
                    "api_key.revoke \(keyID) \(admin) name=ci role=app",
                    "provider.delete gh \(admin)",
                    "provider.create fake \(admin)",
                    "connection.delete \(connection) \(admin) outcome=deleted provider=fake",
                    "dashboard.sign_in_refused - \(APIKeyRecord.id(of: app)) reason=not_admin",
                    "dashboard.sign_out - \(admin)",
                ])
            let everything = recorder.logged.map { "\($0.message) \($0.metadata)" }.joined(separator: "\n")
            #expect(!everything.contains("dashboard-secret") && !everything.contains(key))
            // The metric counts every entry, the refusals the log sampled included.
            let metrics = String(buffer: try await api.call(.get, "/metrics").body)
            for (action, count) in [("dashboard.sign_in_refused", 2), ("provider.update", 2), ("dashboard.sign_in", 1)] {
                #expect(metrics.contains("gatehouse_audit_events_total{action=\"\(action)\"} \(count)"), "\(action)")
            }
        }
    }
}
