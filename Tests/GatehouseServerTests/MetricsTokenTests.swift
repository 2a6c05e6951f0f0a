import Foundation
import GatehouseTestSupport
import HTTPTypes
import Testing

@testable import GatehouseServer

/// `metrics.token`: Prometheus scrapes `/metrics` with it instead of an admin key, and it opens
/// nothing else.
@Suite struct MetricsTokenTests {
    static let token = "scrape-" + String(repeating: "7f", count: 16)

    @Test func theScrapeTokenOpensTheMetricsAndNothingElse() async throws {
        try await APIHarness.run(configure: { $0.metricsToken = ScrapeToken(Self.token) }) { api in
            let page = try await api.call(.get, "/metrics", authorization: "Bearer \(Self.token)")
            #expect(page.status == .ok && String(buffer: page.body).contains("# TYPE"))
            #expect(try await api.call(.get, "/metrics", authorization: Self.token).status == .ok)
            #expect(try await api.call(.get, "/metrics", authorization: "Bearer \(Self.token)x").status == .unauthorized)
            #expect(try await api.call(.get, "/metrics", authorization: "Bearer scrape-").status == .unauthorized)
            for path in ["/v1/auth/status?id=ac_x", "/v1/admin/auth_providers", "/v1/admin/user_connections"] {
                #expect(try await api.call(.get, path, authorization: "Bearer \(Self.token)").status == .unauthorized)
            }
            // An admin key still does.
            #expect(try await api.call(.get, "/metrics").status == .ok)
        }
    }

    @Test func withoutATokenConfiguredOnlyAnAdminKeyOpensTheMetrics() async throws {
        try await APIHarness.run { api in
            let refused = try await api.call(.get, "/metrics", authorization: "Bearer \(Self.token)")
            #expect(refused.status == .unauthorized)
        }
    }
}
