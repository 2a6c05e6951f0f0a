import Foundation
import GatehouseTestSupport
import HTTPTypes
import Testing

/// `/metrics`: admin only, Prometheus text, and what the broker did, counted by bounded labels.
@Suite struct MetricsTests {
    /// The samples of a Prometheus text page: name, labels, value.
    static func samples(_ text: String) -> [(name: String, labels: [String: String], value: Double)] {
        text.split(separator: "\n").compactMap { line in
            guard !line.hasPrefix("#"), let space = line.lastIndex(of: " "), let value = Double(line[line.index(after: space)...])
            else { return nil }
            let series = line[..<space]
            guard let brace = series.firstIndex(of: "{") else { return (String(series), [:], value) }
            var labels: [String: String] = [:]
            for pair in series[series.index(after: brace)..<series.index(before: series.endIndex)].split(separator: ",") {
                let parts = pair.split(separator: "=", maxSplits: 1)
                guard parts.count == 2 else { continue }
                labels[String(parts[0])] = String(parts[1].dropFirst().dropLast())
            }
            return (String(series[..<brace]), labels, value)
        }
    }

    static func value(_ text: String, _ name: String, _ labels: [String: String] = [:]) -> Double? {
        let matching = samples(text).filter { sample in
            sample.name == name && labels.allSatisfy { sample.labels[$0.key] == $0.value }
        }
        return matching.isEmpty ? nil : matching.reduce(0) { $0 + $1.value }
    }

    @Test func metricsNeedAnAdminKey() async throws {
        try await APIHarness.run { api in
            #expect(try await api.call(.get, "/metrics", authorization: nil).status == .unauthorized)
            let appKey = try await api.makeKey(role: .app)
            let refused = try await api.call(.get, "/metrics", authorization: "Bearer \(appKey)")
            #expect(refused.status == .forbidden)
            #expect(
                (try api.object(refused)["message"] as? String)?.hasSuffix("/metrics needs a key with the admin role") == true)
            let page = try await api.call(.get, "/metrics")
            #expect(page.status == .ok)
            #expect(page.headers[.contentType] == "text/plain; version=0.0.4; charset=utf-8")
            #expect(page.headers[.cacheControl] == "no-store")
        }
    }

    @Test func flowsRefreshesProviderCallsRequestsAndCachesAreCounted() async throws {
        try await APIHarness.run { api in
            try await api.createProvider()
            _ = try await api.completedToken(user: "m1")
            _ = try await api.authorize(user: "m1")  // served from the connection cache
            let denied = try await api.authorize(user: "m2")
            _ = try await api.callback(for: denied, extra: "&error=access_denied")
            api.provider.setLifetime(0)
            _ = try await api.completedToken(user: "m3")  // the second read refreshes
            api.provider.failRefresh(with: "invalid_grant")
            _ = try await api.authorize(user: "m3")
            _ = try await api.call(.get, "/v1/health")

            let text = String(buffer: try await api.call(.get, "/metrics").body)
            let fake = ["provider": "fake"]
            #expect(Self.value(text, "gatehouse_flows_started_total", fake) == 4)  // m1, m2, m3, m3 again
            #expect(Self.value(text, "gatehouse_flows_completed_total", fake) == 2)
            #expect(Self.value(text, "gatehouse_flows_failed_total", ["provider": "fake", "reason": "denied"]) == 1)
            #expect(Self.value(text, "gatehouse_refreshes_total", ["provider": "fake", "outcome": "ok"]) == 1)
            #expect(
                Self.value(text, "gatehouse_refreshes_total", ["provider": "fake", "outcome": "reauthorization_required"])
                    == 1)
            #expect(
                Self.value(
                    text, "gatehouse_provider_call_duration_seconds_count",
                    ["provider": "fake", "call": "exchange", "outcome": "ok"]) == 2)
            #expect(
                Self.value(
                    text, "gatehouse_provider_call_duration_seconds_count",
                    ["provider": "fake", "call": "refresh", "outcome": "error"]) == 1)
            #expect(
                Self.value(
                    text, "gatehouse_http_requests_total", ["method": "GET", "route": "/v1/health", "status": "200"]) == 1)
            #expect(
                (Self.value(
                    text, "gatehouse_http_request_duration_seconds_count",
                    ["method": "POST", "route": "/v1/auth/authorize"]) ?? 0) >= 7)
            #expect((Self.value(text, "gatehouse_cache_lookups_total", ["cache": "connection", "result": "hit"]) ?? 0) >= 1)
            #expect((Self.value(text, "gatehouse_cache_lookups_total", ["cache": "api_key", "result": "hit"]) ?? 0) >= 1)
            #expect(Self.value(text, "gatehouse_parked_long_polls") == 0)
            // Labels are routes and fixed words: no user id, token or key.
            for secret in ["m1", "m2", "m3", api.key, "at-1", "rt-1", "good-code"] {
                #expect(!text.contains("\"\(secret)\""), "\(secret) is a label value")
            }
        }
    }

    @Test func aParkedLongPollIsAGaugeWhileItWaits() async throws {
        try await APIHarness.run { api in
            try await api.createProvider()
            let pending = try await api.authorize(user: "p1")
            let id = try #require(pending["id"] as? String)
            async let parked = api.call(.get, "/v1/auth/status?id=\(id)&wait=5")
            #expect(try await api.parked(1))
            _ = try await api.callback(for: pending)
            #expect(try await parked.status == .ok)
            let after = String(buffer: try await api.call(.get, "/metrics").body)
            #expect(Self.value(after, "gatehouse_parked_long_polls") == 0)
        }
    }
}
