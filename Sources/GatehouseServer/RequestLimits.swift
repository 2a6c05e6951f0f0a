import Foundation

/// What one client may send or hold: sizes, timeouts, connection and per-key caps
/// (`api.*` in the config file). Defaults are sized so one busy app key on one replica is not
/// throttled on the hot path; lower them for keys handed to untrusted agents.
package struct RequestLimits: Sendable, Equatable {
    static let defaultMaxBodyBytes = 64 * 1024

    /// The largest request body a route reads (`api.max_request_body_size`).
    package var maxBodyBytes: Int = RequestLimits.defaultMaxBodyBytes
    /// How long a new connection may take to send a whole request head, and a request its
    /// body (`api.read_timeout`).
    package var readTimeout: Duration = .seconds(10)
    /// How long a response may take to be written to a slow reader (`api.write_timeout`).
    package var writeTimeout: Duration = .seconds(60)
    /// How long a kept-alive connection may sit between requests (`api.idle_timeout`).
    package var idleTimeout: Duration = .seconds(30)
    /// Open connections past which new ones are refused with 503 (`api.max_connections`);
    /// never more than the open-file limit allows.
    package var maxConnections: Int = 10_000
    /// Requests per second per API key, refilled continuously (`api.rate_limit.limit` per
    /// `time_unit`); nil turns the limit off (`rate_limit: {noop: {}}`).
    package var requestsPerSecond: Double? = 20_000
    /// How many requests a key may send at once above the rate (`api.rate_limit.burst`).
    package var burst: Double = 40_000
    /// Store reads per second, per replica, for API keys it does not know to exist
    /// (`api.unknown_key_rate_limit`, `UnknownKeyBudget`); nil: no bound.
    package var unknownKeyReadsPerSecond: Double? = UnknownKeyBudget.defaultPerSecond
    /// How many such reads may come at once above the rate (`api.unknown_key_rate_limit.burst`).
    package var unknownKeyBurst: Double = UnknownKeyBudget.defaultBurst
    /// Parked `status?wait` requests per key (`api.max_parked_waits_per_key`).
    package var maxParkedWaitsPerKey: Int = 10_000

    /// The defaults.
    package init() {}
}
