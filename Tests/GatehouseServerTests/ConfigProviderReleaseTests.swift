import Foundation
import GatehouseServer
import GatehouseTestSupport
import GatehouseWire
import Synchronization
import Testing

/// A provider the config file stops listing: kept with its connections, inactive, and the admin
/// API's to delete; listed again, it serves them again.
@Suite struct ConfigProviderReleaseTests {
    static func configuration(_ directory: String, listed: Bool, clientID: String = "client-1") throws
        -> GatehouseConfiguration
    {
        var configuration = GatehouseConfiguration(port: 0, dataDirectory: directory)
        if listed {
            let definition = FakeProvider.definition.replacingOccurrences(of: "client-1", with: clientID)
            configuration.providers = [try JSONDecoder().decode(AuthProviderRequest.self, from: Data(definition.utf8))]
        }
        return configuration
    }

    /// The file changes a provider's template between two starts: the flows open under the old
    /// one fail, say why, and are counted as `provider_changed`, as a change through the admin
    /// API is.
    @Test func aTemplateChangedInTheFileFailsOpenFlowsAndCountsThem() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("gh-change-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let first = Mutex<(key: String, auth: String)?>(nil)
        try await APIHarness.run(configuration: try Self.configuration(directory, listed: true)) { api in
            let id = try #require(try await api.authorize(user: "bob")["id"] as? String)
            first.withLock { $0 = (api.key, id) }
        }
        let (key, auth) = try #require(first.withLock { $0 })
        try await APIHarness.run(
            configuration: try Self.configuration(directory, listed: true, clientID: "client-2"), key: key
        ) { api in
            let status = try api.object(try await api.call(.get, "/v1/auth/status?id=\(auth)"))
            #expect(status["status"] as? String == "failed")
            #expect(status["status_reason"] as? String == "the provider's settings changed while the authorization was under way")
            let metrics = String(buffer: try await api.call(.get, "/metrics").body)
            #expect(
                MetricsTests.value(metrics, "gatehouse_flows_failed_total", ["provider": "fake", "reason": "provider_changed"])
                    == 1)
        }
    }

    @Test func aProviderLeftOutOfTheFileIsKeptInactiveAndServesNoToken() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("gh-release-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let provider = FakeProvider()
        let first = Mutex<(key: String, auth: String, open: String)?>(nil)
        try await APIHarness.run(configuration: try Self.configuration(directory, listed: true), provider: provider) { api in
            let done = try await api.completedToken(user: "alice")
            let open = try #require(try await api.authorize(user: "bob")["url"] as? String)
            first.withLock { $0 = (api.key, done.id, open) }
        }
        let (key, auth, open) = try #require(first.withLock { $0 })

        let warnings = try await APIHarness.run(
            configuration: try Self.configuration(directory, listed: false), provider: provider, key: key
        ) { api in
            let refused = try await api.call(
                .post, "/v1/auth/authorize", json: #"{"auth_requirement":{"provider_id":"fake"},"user_id":"alice"}"#)
            #expect(refused.status == .badRequest)
            #expect(String(buffer: refused.body).contains("inactive"))
            // A completed authorization of the provider no longer stands.
            let status = try api.object(try await api.call(.get, "/v1/auth/status?id=\(auth)"))
            #expect(status["status"] as? String == "failed" && status["context"] == nil)
            #expect((status["status_reason"] as? String)?.contains("or its provider disabled") == true, "\(status)")
            let body = try api.object(try await api.call(.get, "/v1/admin/auth_providers/fake"))
            #expect(body["status"] as? String == "inactive")
            #expect((body["binding"] as? [String: Any])?["type"] as? String == "project")
            let page = try api.object(try await api.call(.get, "/v1/admin/user_connections?provider_id=fake"))
            #expect(page["total_count"] as? Int == 1)
            // A flow started before finishes nowhere: its grant would serve nothing.
            let callback = try await api.callback(for: ["url": open])
            #expect(String(buffer: callback.body).contains("This connection is no longer offered"))
            #expect(provider.codeGrants == 1)
        }
        #expect(warnings.contains { $0.contains("'fake' is no longer in the config file") })

        // Listed again: the kept connection serves, without a new consent.
        let codeGrants = provider.codeGrants
        let again = try await APIHarness.run(
            configuration: try Self.configuration(directory, listed: true), provider: provider, key: key
        ) { api in
            let done = try await api.authorize(user: "alice")
            #expect(done["status"] as? String == "completed")
            #expect(try await api.call(.delete, "/v1/admin/auth_providers/fake").status == .forbidden)
        }
        #expect(provider.codeGrants == codeGrants)
        #expect(!again.contains { $0.contains("no longer in the config file") })

        // Left out once more, the admin API deletes it with its connections.
        try await APIHarness.run(configuration: try Self.configuration(directory, listed: false), provider: provider, key: key) {
            api in
            #expect(try await api.call(.delete, "/v1/admin/auth_providers/fake").status == .ok)
            let page = try api.object(try await api.call(.get, "/v1/admin/user_connections?user_id=alice"))
            #expect(page["total_count"] as? Int == 0)
        }
    }
}
