import GatehouseCore

// The `api` limits and the `security` network settings of the config file.
extension ConfigurationLoader {
    /// The `api` limits: sizes, timeouts, caps and the per-key rate limit.
    static func applyLimits(_ api: [String: Any], to config: inout GatehouseConfiguration) throws {
        if let value = api["development"], try bool(value, "api.development") {
            throw Problem(
                description:
                    "api.development: true is not supported (Gatehouse has no development mode); use auth.user_verification.unsafe_skip_verification for local work"
            )
        }
        var limits = config.limits
        if let value = api["max_request_body_size"] {
            limits.maxBodyBytes = try size(value, "api.max_request_body_size")
        }
        for (key, path) in [
            ("read_timeout", \RequestLimits.readTimeout), ("write_timeout", \RequestLimits.writeTimeout),
            ("idle_timeout", \RequestLimits.idleTimeout),
        ] {
            if let value = api[key] { limits[keyPath: path] = try duration(value, "api.\(key)") }
        }
        if let value = api["max_connections"] {
            limits.maxConnections = try integer(value, "api.max_connections")
            guard limits.maxConnections >= 1 else { throw Problem(description: "api.max_connections must be at least 1") }
        }
        if let value = api["max_parked_waits_per_key"] {
            limits.maxParkedWaitsPerKey = try integer(value, "api.max_parked_waits_per_key")
            guard limits.maxParkedWaitsPerKey >= 0 else {
                throw Problem(description: "api.max_parked_waits_per_key must be 0 or more")
            }
        }
        if let value = api["rate_limit"] {
            guard let rate = value as? [String: Any] else {
                throw Problem(description: "api.rate_limit must be a mapping: {limit, time_unit, burst} or {noop: {}}")
            }
            if rate["redis"] != nil {
                throw Problem(
                    description:
                        "api.rate_limit.redis is not supported: Gatehouse limits each key in memory ({limit, time_unit, burst})"
                )
            }
            if rate["noop"] != nil {
                limits.requestsPerSecond = nil
            } else {
                guard let limit = rate["limit"] else { throw Problem(description: "api.rate_limit.limit is required") }
                let count = try integer(limit, "api.rate_limit.limit")
                let unit = try rate["time_unit"].map { try string($0, "api.rate_limit.time_unit") } ?? "s"
                let seconds: Double? = ["s": 1, "m": 60, "h": 3600, "d": 86400][unit]
                guard let seconds, count >= 1 else {
                    throw Problem(description: "api.rate_limit: limit must be at least 1 and time_unit one of s, m, h, d")
                }
                limits.requestsPerSecond = Double(count) / seconds
                limits.burst = Double(try rate["burst"].map { try integer($0, "api.rate_limit.burst") } ?? count)
                guard limits.burst >= 1 else { throw Problem(description: "api.rate_limit.burst must be at least 1") }
            }
        }
        config.limits = limits
    }

    /// `30s`, `1m`, `500ms`, `2h`, or a number of seconds.
    static func duration(_ value: Any, _ key: String) throws -> Duration {
        if let number = value as? Int, number > 0 { return .seconds(number) }
        let text = try string(value, key).trimmingCharacters(in: .whitespaces).lowercased()
        for (suffix, scale) in [("ms", 0.001), ("s", 1.0), ("m", 60.0), ("h", 3600.0)] where text.hasSuffix(suffix) {
            if let number = Double(text.dropLast(suffix.count)), number > 0 { return .milliseconds(Int64(number * scale * 1000)) }
        }
        if let number = Double(text), number > 0 { return .milliseconds(Int64(number * 1000)) }
        throw Problem(description: "\(key) must be a duration such as 30s, 1m or 500ms")
    }

    /// `4Mb`, `64KB`, `512k`, or a number of bytes.
    static func size(_ value: Any, _ key: String) throws -> Int {
        if let number = value as? Int, number > 0 { return number }
        let text = try string(value, key).trimmingCharacters(in: .whitespaces).lowercased()
        for (suffix, scale) in [("kb", 1024), ("k", 1024), ("mb", 1 << 20), ("m", 1 << 20), ("b", 1)] where text.hasSuffix(suffix)
        {
            if let number = Int(text.dropLast(suffix.count)), number > 0 { return number * scale }
        }
        if let number = Int(text), number > 0 { return number }
        throw Problem(description: "\(key) must be a size such as 64KB or 4Mb")
    }

    /// `security.allowed_provider_networks` (CIDR blocks) and `security.static_hosts` (name to
    /// one address or a list).
    static func applyNetworkSettings(_ security: [String: Any], to config: inout GatehouseConfiguration) throws {
        if let networks = security["allowed_provider_networks"] {
            guard let list = networks as? [Any] else {
                throw Problem(description: "security.allowed_provider_networks must be a list of CIDR blocks")
            }
            config.allowedProviderNetworks = try list.enumerated().map { index, entry in
                let key = "security.allowed_provider_networks[\(index)]"
                guard let network = IPNetwork(try string(entry, key)) else {
                    throw Problem(description: "\(key) must be a CIDR block such as 127.0.0.0/8 or fc00::/7")
                }
                return network
            }
        }
        if let hosts = security["static_hosts"] {
            guard let map = hosts as? [String: Any] else {
                throw Problem(description: "security.static_hosts must be a mapping of host name to address")
            }
            config.staticHosts = try map.reduce(into: [:]) { result, entry in
                let key = "security.static_hosts.\(entry.key)"
                let values = (entry.value as? [Any]) ?? [entry.value]
                result[entry.key] = try values.map {
                    guard let address = IPAddress(try string($0, key)) else {
                        throw Problem(description: "\(key) must be an IP address (or a list of them)")
                    }
                    return address
                }
            }
        }
    }
}
