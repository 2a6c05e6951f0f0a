import Foundation
import GatehouseCore

// The `api` limits and the `security` network settings of the config file.
extension ConfigurationLoader {
    /// The `api` limits: sizes, timeouts, caps and the per-key rate limit.
    static func applyLimits(_ settings: SettingsReader, document: [String: Any], to config: inout GatehouseConfiguration)
        throws
    {
        if try settings.bool("api.development") == true {
            throw ConfigurationError(
                description:
                    "api.development: true is not supported (Gatehouse has no development mode); use auth.user_verification.unsafe_skip_verification for local work"
            )
        }
        var limits = config.limits
        if let value = settings.string("api.max_request_body_size") {
            limits.maxBodyBytes = try size(value, "api.max_request_body_size")
        }
        for (key, path) in [
            ("read_timeout", \RequestLimits.readTimeout), ("write_timeout", \RequestLimits.writeTimeout),
            ("idle_timeout", \RequestLimits.idleTimeout),
        ] {
            if let value = settings.string("api.\(key)") { limits[keyPath: path] = try duration(value, "api.\(key)") }
        }
        if let value = settings.string("api.max_connections") {
            limits.maxConnections = try bounded(value, "api.max_connections", 1...1_000_000)
        }
        if let value = settings.string("api.max_parked_waits_per_key") {
            // 0 would refuse every long-poll, which Arcade's clients make for every authorization.
            limits.maxParkedWaitsPerKey = try bounded(value, "api.max_parked_waits_per_key", 1...1_000_000)
        }
        if let rate = try rate(at: "api.rate_limit", settings, document) {
            (limits.requestsPerSecond, limits.burst) = rate
        }
        if let rate = try rate(at: "api.unknown_key_rate_limit", settings, document) {
            (limits.unknownKeyReadsPerSecond, limits.unknownKeyBurst) = rate
        }
        config.limits = limits
    }

    /// A rate at `key`: `{limit, time_unit, burst}` (per second, and the burst, which is the
    /// limit unless given), or `{noop: {}}` (nil: no limit); nil for both when the key is absent.
    static func rate(at key: String, _ settings: SettingsReader, _ document: [String: Any]) throws -> (
        perSecond: Double?, burst: Double
    )? {
        guard let rate = value(at: key, in: document) else { return nil }
        guard let rate = rate as? [String: Any] else {
            throw ConfigurationError(description: "\(key) must be a mapping: {limit, time_unit, burst} or {noop: {}}")
        }
        if rate["redis"] != nil {
            throw ConfigurationError(
                description: "\(key).redis is not supported: Gatehouse limits in memory ({limit, time_unit, burst})")
        }
        if rate["noop"] != nil { return (nil, 0) }
        guard let limit = settings.string("\(key).limit") else {
            throw ConfigurationError(description: "\(key).limit is required")
        }
        let count = try bounded(limit, "\(key).limit", 1...1_000_000_000)
        let unit = settings.string("\(key).time_unit") ?? "s"
        guard let seconds = ["s": 1.0, "m": 60, "h": 3600, "d": 86400][unit] else {
            throw ConfigurationError(description: "\(key).time_unit must be one of s, m, h, d")
        }
        let burst = try settings.string("\(key).burst").map { try bounded($0, "\(key).burst", 1...1_000_000_000) } ?? count
        return (Double(count) / seconds, Double(burst))
    }

    /// `30s`, `1m`, `500ms`, `2h`, `7d`, or a number of seconds; from `min` (1 ms unless 0 is
    /// allowed) to `max` seconds. The error's examples are ones the key takes.
    static func duration(_ value: Any, _ key: String, min: Double = 0.001, max: Double = 86_400) throws -> Duration {
        let lowest = min == 0 ? "0" : min < 1 ? "\(Int(min * 1000))ms" : "\(Int(min))s"
        let highest = max >= 2 * 86_400 ? "\(Int(max / 86_400))d" : "\(Int(max / 3600))h"
        let examples =
            max >= 7 * 86_400 ? "30s, 1m, 2h or 7d" : min >= 1 ? "30s, 1m, 5m or 2h" : "30s, 1m, 500ms or 2h"
        let seconds = try measure(
            value, key, units: [("ms", 0.001), ("s", 1), ("m", 60), ("h", 3600), ("d", 86_400)], range: min...max,
            expected: "a duration from \(lowest) to \(highest), such as \(examples)")
        return .milliseconds(Int64(seconds * 1000))
    }

    /// `4Mb`, `64KB`, `512k`, or a number of bytes; at most 1 GiB.
    static func size(_ value: Any, _ key: String) throws -> Int {
        Int(
            try measure(
                value, key, units: [("kb", 1024), ("k", 1024), ("mb", 1_048_576), ("m", 1_048_576), ("b", 1)],
                range: 1...1_073_741_824, expected: "a size from 1 byte to 1Gb, such as 64KB or 4Mb"))
    }

    /// An origin for `next_uri`: `scheme://host[:port]` (`:*` for any port), http or https, with no
    /// credentials; anything else would match nothing, without a word. Only the origin is
    /// compared: a path, query or fragment is cut off, with a warning saying so.
    static func redirectOrigin(_ text: String, warnings: inout [String]) throws -> String {
        let bare = text.replacingOccurrences(of: ":*", with: "")
        guard let parsed = URLComponents(string: bare), parsed.user == nil, parsed.password == nil,
            let base = IssuerCheck.origin(of: bare)
        else {
            throw ConfigurationError(
                description:
                    "auth.allowed_redirect_origins: '\(text.prefix(200))' is not an origin; give scheme://host[:port], such as https://app.example.com or http://localhost:*"
            )
        }
        let origin = base + (bare == text ? "" : ":*")
        if !(parsed.path.isEmpty || parsed.path == "/") || parsed.query != nil || parsed.fragment != nil {
            warnings.append(
                "auth.allowed_redirect_origins: '\(text.prefix(200))' is taken as \(origin): only the origin of a next_uri is compared"
            )
        }
        return origin
    }

    /// The config file's verifier URL: an http(s) URL, whose origin is then allowed as a
    /// `next_uri` beside `auth.allowed_redirect_origins` (the admin API checks its own against
    /// that list; this one is the operator's word), or a path on Gatehouse's own origin (an app
    /// behind the same proxy), which the browser resolves there.
    static func verifierURL(_ text: String) throws -> String {
        let path = text.hasPrefix("/") && !text.hasPrefix("//")
        guard text.count <= 2048, let parsed = URLComponents(string: text), parsed.user == nil, parsed.password == nil,
            parsed.fragment == nil, path || IssuerCheck.origin(of: text) != nil
        else {
            throw ConfigurationError(
                description:
                    "auth.user_verification.verifier_url must be an http(s) URL of your app's verifier route, such as https://app.example.com/verify, or a path on Gatehouse's own origin"
            )
        }
        return text
    }

    /// A number with an optional unit suffix, scaled, and within `range`.
    private static func measure(
        _ value: Any, _ key: String, units: [(suffix: String, scale: Double)], range: ClosedRange<Double>, expected: String
    ) throws -> Double {
        var amount: Double?
        if let number = value as? Int {
            amount = Double(number)
        } else {
            let text = try string(value, key).trimmingCharacters(in: .whitespaces).lowercased()
            amount = Double(text)
            if let unit = units.first(where: { text.hasSuffix($0.suffix) }) {
                amount = Double(text.dropLast(unit.suffix.count)).map { $0 * unit.scale }
            }
        }
        guard let amount, range.contains(amount) else { throw ConfigurationError(description: "\(key) must be \(expected)") }
        return amount
    }

    /// A whole number within bounds, naming the key otherwise.
    static func bounded(_ value: Any, _ key: String, _ range: ClosedRange<Int>) throws -> Int {
        let number = try integer(value, key)
        guard range.contains(number) else {
            throw ConfigurationError(description: "\(key) must be from \(range.lowerBound) to \(range.upperBound)")
        }
        return number
    }

    /// `security.allowed_provider_networks` (CIDR blocks) and `security.static_hosts` (name to
    /// one address or a list; names hold dots, so this part is read from the document).
    static func applyNetworkSettings(_ settings: SettingsReader, document: [String: Any], to config: inout GatehouseConfiguration)
        throws
    {
        if let networks = settings.list("security.allowed_provider_networks") {
            config.allowedProviderNetworks = try networks.enumerated().map { index, entry in
                guard let network = IPNetwork(entry) else {
                    throw ConfigurationError(
                        description:
                            "security.allowed_provider_networks[\(index)] must be a CIDR block such as 127.0.0.0/8 or fc00::/7")
                }
                return network
            }
        }
        if let hosts = value(at: "security.static_hosts", in: document) {
            guard let map = hosts as? [String: Any] else {
                throw ConfigurationError(description: "security.static_hosts must be a mapping of host name to address")
            }
            config.staticHosts = try map.reduce(into: [:]) { result, entry in
                let key = "security.static_hosts.\(entry.key)"
                let values = (entry.value as? [Any]) ?? [entry.value]
                result[entry.key] = try values.map {
                    guard let address = IPAddress(try string($0, key)) else {
                        throw ConfigurationError(description: "\(key) must be an IP address (or a list of them)")
                    }
                    return address
                }
            }
        }
    }
}
