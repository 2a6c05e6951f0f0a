import Foundation
import GatehouseCore
import GatehouseServer
import GatehouseTestSupport
import Synchronization
import Testing

/// An admin changes the provider's template while a callback is exchanging its code: the grant,
/// issued under the old template, is not stored under the new one (`ProviderReplacement`).
@Suite struct ProviderChangeDuringCallbackTests {
    /// The fake provider, with a step run once before it answers the next code exchange.
    final class ExchangeStep: HTTPTransport {
        let provider = FakeProvider()
        let step = Mutex<(@Sendable () async throws -> Void)?>(nil)

        func send(_ request: OutboundRequest) async throws -> OutboundResponse {
            if request.form["grant_type"] == "authorization_code", let step = step.withLock({ $0.take() }) {
                try await step()
            }
            return try await provider.transport.send(request)
        }
    }

    @Test func aTemplateChangedDuringTheExchangeStoresNoGrant() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("gh-chg-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let transport = ExchangeStep()
        try await APIHarness.run(
            configuration: GatehouseConfiguration(port: 0, dataDirectory: directory), provider: transport.provider,
            transport: transport
        ) { api in
            try await api.createProvider()
            let pending = try await api.authorize(user: "alice")
            transport.step.withLock {
                $0 = {
                    let changed = try await api.call(
                        .patch, "/v1/admin/auth_providers/fake",
                        json: #"{"oauth2":{"authorize_request":{"params":{"prompt":"consent"}}}}"#)
                    #expect(changed.status == .ok, "\(String(buffer: changed.body))")
                }
            }
            let page = try await api.callback(for: pending)
            #expect(transport.provider.codeGrants == 1, "the code was exchanged")
            #expect(String(buffer: page.body).contains("The sign-in ended before it was finished"))
            let status = try api.object(try await api.call(.get, "/v1/auth/status?id=\(try #require(pending["id"]))"))
            #expect(status["status"] as? String == "failed")
            #expect(status["status_reason"] as? String == Flow.providerChangedReason)
            let connections = try api.object(try await api.call(.get, "/v1/admin/user_connections?user_id=alice"))
            #expect(connections["total_count"] as? Int == 0)
            // The next authorization, under the new template, completes.
            let again = try await api.authorize(user: "alice")
            #expect(try await api.callback(for: again).status == .ok)
            #expect(try await api.authorize(user: "alice")["status"] as? String == "completed")
        }
    }
}
