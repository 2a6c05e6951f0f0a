import CoreMetrics
import Synchronization

import struct Foundation.Date

/// Gatehouse's metrics, through swift-metrics: the composition root gives the factory
/// (Prometheus in `serve`), tests that do not look get `Telemetry.none`.
///
/// Every label comes from a bounded set: route patterns, statuses, methods, provider ids,
/// fixed reasons and outcomes. No user id, token, key, secret or free text is ever a label.
/// Handles are made once per label set and kept, so recording is a lookup and an atomic add.
package final class Telemetry: Sendable {
    /// How a refresh ended.
    package enum RefreshOutcome: String, Sendable, CaseIterable {
        /// A new token was stored.
        case ok
        /// The provider refused the grant: the user must authorize again.
        case reauthorizationRequired = "reauthorization_required"
        /// The provider could not be reached or failed; Gatehouse backs off and tries again.
        case transient
        /// The provider refused the refresh for another reason; the grant is kept, and a user
        /// whose token has expired is asked to consent again.
        case refused
        /// The provider refused the client's credentials, or the network policy the endpoint:
        /// the operator's configuration needs fixing.
        case configuration
    }

    /// Which provider endpoint was called.
    package enum ProviderCall: String, Sendable, CaseIterable {
        /// The code for a token.
        case exchange
        /// A refresh token for a new token.
        case refresh
        /// Who the user is.
        case userInfo = "user_info"
        /// What the token is (RFC 7662).
        case introspection
        /// The grant ended at the provider (RFC 7009), when a connection is deleted.
        case revocation
    }

    /// The in-memory caches on the hot path.
    package enum Cache: String, Sendable, CaseIterable {
        /// Connections (`ConnectionCache`).
        case connection
        /// API keys.
        case apiKey = "api_key"
        /// Providers (`ProviderRegistry`).
        case provider
    }

    /// Records nothing.
    package static let none = Telemetry(factory: NOOPMetricsHandler.instance)

    private struct RequestSeries: Hashable {
        let method: String
        let route: String
        let status: Int
    }

    private let factory: any MetricsFactory
    // Per request: one lock, one lookup, for the counter and the histogram together.
    private let requests = Mutex<[RequestSeries: (count: Counter, duration: Timer)]>([:])
    private let counters = Mutex<[String: Counter]>([:])
    private let timers = Mutex<[String: Timer]>([:])
    private let meters = Mutex<[String: Meter]>([:])
    // The hot path's counters, made up front: no lookup at all.
    private let cacheHits: [Cache: Counter]
    private let cacheMisses: [Cache: Counter]
    private let parked: Meter
    // Per provider: pending revocations and the oldest one's age.
    private let backlog = Mutex<[String: (count: Meter, age: Meter)]>([:])

    /// Telemetry recorded through `factory`.
    package init(factory: any MetricsFactory) {
        self.factory = factory
        func lookups(_ result: String) -> [Cache: Counter] {
            Dictionary(
                uniqueKeysWithValues: Cache.allCases.map {
                    (
                        $0,
                        Counter(
                            label: "gatehouse_cache_lookups_total", dimensions: [("cache", $0.rawValue), ("result", result)],
                            factory: factory)
                    )
                })
        }
        cacheHits = lookups("hit")
        cacheMisses = lookups("miss")
        parked = Meter(label: "gatehouse_parked_long_polls", factory: factory)
    }

    /// One answered HTTP request.
    package func request(method: String, route: String, status: Int, duration: Duration) {
        let series = RequestSeries(method: method, route: route, status: status)
        let handles = requests.withLock { requests in
            if let handles = requests[series] { return handles }
            let handles = (
                count: counter(
                    "gatehouse_http_requests_total", [("method", method), ("route", route), ("status", String(status))]),
                duration: timer("gatehouse_http_request_duration_seconds", [("method", method), ("route", route)])
            )
            requests[series] = handles
            return handles
        }
        handles.count.increment()
        handles.duration.recordNanoseconds(duration.nanoseconds)
    }

    /// A flow was started (a new consent URL handed out).
    package func flowStarted(provider: String) {
        counter("gatehouse_flows_started_total", [("provider", provider)]).increment()
    }

    /// A flow completed: the grant is stored.
    package func flowCompleted(provider: String) {
        counter("gatehouse_flows_completed_total", [("provider", provider)]).increment()
    }

    /// A flow failed, for `reason`.
    package func flowFailed(provider: String, reason: FlowFailure) {
        counter("gatehouse_flows_failed_total", [("provider", provider), ("reason", reason.rawValue)]).increment()
    }

    /// A refresh ended.
    package func refreshed(provider: String, outcome: RefreshOutcome) {
        counter("gatehouse_refreshes_total", [("provider", provider), ("outcome", outcome.rawValue)]).increment()
    }

    /// A try at revoking a deleted connection's grant ended.
    package func revocationTried(provider: String, outcome: RevocationOutcome) {
        counter("gatehouse_revocations_total", [("provider", provider), ("outcome", outcome.label)]).increment()
    }

    /// The pending revocations per provider, as the store has them at `now`. Every replica
    /// counts the whole fleet's; a provider counted before that has none left shows 0.
    package func revocationBacklog(_ backlog: [String: RevocationBacklog], now: Date) {
        self.backlog.withLock { gauges in
            for provider in Set(gauges.keys).union(backlog.keys) {
                let dimensions = [("provider", provider)]
                let handles =
                    gauges[provider]
                    ?? (
                        count: Meter(label: "gatehouse_revocations_pending", dimensions: dimensions, factory: factory),
                        age: Meter(
                            label: "gatehouse_revocations_oldest_pending_seconds", dimensions: dimensions, factory: factory)
                    )
                gauges[provider] = handles
                handles.count.set(backlog[provider]?.count ?? 0)
                handles.age.set(backlog[provider].map { max(0, now.timeIntervalSince($0.oldest).rounded()) } ?? 0)
            }
        }
    }

    /// A call to a provider's endpoint took `duration`; `succeeded` when it gave a usable answer.
    package func providerCall(provider: String, call: ProviderCall, succeeded: Bool, duration: Duration) {
        timer(
            "gatehouse_provider_call_duration_seconds",
            [("provider", provider), ("call", call.rawValue), ("outcome", succeeded ? "ok" : "error")]
        ).recordNanoseconds(duration.nanoseconds)
    }

    /// A `status?wait` long-poll parked (`+1`) or ended (`-1`).
    package func parkedLongPolls(_ change: Int) {
        if change > 0 { parked.increment(by: Double(change)) } else { parked.decrement(by: Double(-change)) }
    }

    /// A connection refused because the open connection cap (`api.max_connections`) was reached.
    package func connectionRefusedOverCap() {
        counter("gatehouse_connections_refused_total", [("reason", "cap")]).increment()
    }

    /// A lookup in one of the hot path's caches.
    package func cacheLookup(_ cache: Cache, hit: Bool) {
        (hit ? cacheHits : cacheMisses)[cache]!.increment()
    }

    /// A counter, made at its first use and kept.
    func counter(_ label: String, _ dimensions: [(String, String)]) -> Counter {
        Self.kept(counters, Self.key(label, dimensions)) { Counter(label: label, dimensions: dimensions, factory: factory) }
    }

    /// A gauge, made at its first use (so a gauge of what has not happened yet is absent, not 0).
    func meter(_ label: String, _ dimensions: [(String, String)]) -> Meter {
        Self.kept(meters, Self.key(label, dimensions)) { Meter(label: label, dimensions: dimensions, factory: factory) }
    }

    private func timer(_ label: String, _ dimensions: [(String, String)]) -> Timer {
        Self.kept(timers, Self.key(label, dimensions)) {
            Timer(label: label, dimensions: dimensions, preferredDisplayUnit: .seconds, factory: factory)
        }
    }

    /// The handle kept under `key`, made by `make` the first time.
    private static func kept<Handle>(
        _ handles: borrowing Mutex<[String: Handle]>, _ key: String, _ make: () -> Handle
    ) -> Handle {
        handles.withLock { handles in
            if let handle = handles[key] { return handle }
            let handle = make()
            handles[key] = handle
            return handle
        }
    }

    private static func key(_ label: String, _ dimensions: [(String, String)]) -> String {
        var key = label
        for (name, value) in dimensions { key += "\u{0}" + name + "\u{0}" + value }
        return key
    }
}
