import Foundation
import GatehouseTestSupport
import HTTPTypes
import HummingbirdTesting
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

    @Test func wrongKeysAtTheMetricsStopTheTokenBeingComparedButNotAnAdminKey() async throws {
        try await APIHarness.run(configure: { $0.metricsToken = ScrapeToken(Self.token) }) { api in
            // An app key is a key that exists (403), not a guess: it spends nothing.
            let app = try await api.makeKey(role: .app)
            for _ in 0..<Int(ScrapeGuesses.burst) + 5 {
                #expect(try await api.call(.get, "/metrics", authorization: "Bearer \(app)").status == .forbidden)
            }
            #expect(try await api.call(.get, "/metrics", authorization: "Bearer \(Self.token)").status == .ok)
            // Wrong tokens, each followed by the right one, until the right one is refused: the
            // bucket refills a token a second, so this ends unless the rounds take a second each.
            var refused: TestResponse?
            for _ in 0..<200 where refused == nil {
                _ = try await api.call(.get, "/metrics", authorization: "Bearer \(Self.token)x")
                let right = try await api.call(.get, "/metrics", authorization: "Bearer \(Self.token)")
                if right.status != .ok { refused = right }
            }
            #expect(refused?.status == .tooManyRequests)
            #expect(refused?.headers[.retryAfter] != nil)
            #expect(refused.map { String(buffer: $0.body) }?.contains("metrics.token is not checked") == true)
            #expect(try await api.call(.get, "/metrics").status == .ok)
        }
    }
}

/// The bucket of wrong keys at `/metrics`, on a clock the test moves.
@Suite struct ScrapeGuessesTests {
    @Test func aBurstOfWrongKeysStopsTheComparisonUntilOneRefills() {
        let guesses = ScrapeGuesses()
        let start = ContinuousClock.now
        for _ in 0..<Int(ScrapeGuesses.burst) { #expect(guesses.take(now: start) == nil) }
        #expect(guesses.take(now: start) == 1)
        #expect(guesses.take(now: start + .milliseconds(500)) == 1)
        #expect(guesses.take(now: start + .seconds(1)) == nil)
        #expect(guesses.take(now: start + .seconds(1)) == 1)
        // A request that was no guess gives its token back.
        guesses.refund(now: start + .seconds(1))
        #expect(guesses.take(now: start + .seconds(1)) == nil)
        // An earlier reading (a caller that read the clock first) refills nothing.
        #expect(guesses.take(now: start) == 1)
        #expect(guesses.take(now: start + .seconds(3)) == nil)
    }
}
