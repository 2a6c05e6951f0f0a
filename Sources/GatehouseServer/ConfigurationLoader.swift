import Foundation
import GatehouseCore
import GatehouseWire
import Yams

/// Reads `gatehouse.yaml` (Arcade `engine.yaml` shape, for the parts that apply), expands
/// `${env:NAME}` and `${file:path}`, applies environment overrides, and validates.
package enum ConfigurationLoader {
    static let knownKeys: [String: Set<String>] = [
        "api": [
            "host", "port", "public_url", "public_host", "development", "read_timeout", "write_timeout", "idle_timeout",
            "max_request_body_size", "rate_limit", "max_connections", "max_parked_waits_per_key",
        ],
        "api.rate_limit": ["limit", "time_unit", "burst", "noop", "redis"],
        "auth": [
            "providers", "user_verification", "allowed_redirect_origins", "flow_ttl", "refresh_skew", "default_token_lifetime",
            "token_store",
        ],
        "auth.user_verification": ["verifier_url", "unsafe_skip_verification"],
        "security": ["root_keys", "allowed_provider_networks", "static_hosts"],
        "storage": ["sqlite", "in_memory", "postgres"],
        "storage.sqlite": ["path", "connection_string"],
    ]

    /// Sections of Arcade's engine.yaml that belong to parts Gatehouse does not have: read past
    /// with a warning, so a ported file starts but nobody thinks they took effect.
    static let foreignSections: Set<String> = ["llm", "tools", "telemetry", "cache", "workers", "worker", "mcp"]

    /// Loads the configuration: file (optional) < environment < command-line values already in `base`.
    package static func load(
        path: String?, environment: [String: String], overrides: (host: String?, port: Int?, dataDirectory: String?)
    ) throws -> GatehouseConfiguration {
        var config = GatehouseConfiguration()
        if let path {
            let text: String
            do {
                text = try String(contentsOfFile: path, encoding: .utf8)
            } catch {
                throw ConfigurationError(description: "cannot read config file \(path): \(error.localizedDescription)")
            }
            try apply(
                yaml: text, to: &config, environment: environment, baseDirectory: (path as NSString).deletingLastPathComponent)
            config.hasConfigFile = true
        }
        if let value = environment["GATEHOUSE_HOST"] { config.host = value }
        if let value = environment["GATEHOUSE_PORT"] {
            guard let port = Int(value), (1...65535).contains(port) else {
                throw ConfigurationError(description: "GATEHOUSE_PORT must be a port number, not '\(value)'")
            }
            config.port = port
        }
        if let value = environment["GATEHOUSE_PUBLIC_URL"] { config.publicURL = value }
        if let value = environment["GATEHOUSE_HOME"] { config.dataDirectory = value }
        if let host = overrides.host { config.host = host }
        if let port = overrides.port { config.port = port }
        if let directory = overrides.dataDirectory { config.dataDirectory = directory }
        if let url = config.publicURL {
            guard let parsed = URLComponents(string: url), ["http", "https"].contains(parsed.scheme ?? ""), parsed.host != nil
            else {
                throw ConfigurationError(description: "api.public_url must be an absolute http(s) URL, not '\(url)'")
            }
        }
        return config
    }

    /// Applies a YAML document.
    static func apply(yaml: String, to config: inout GatehouseConfiguration, environment: [String: String], baseDirectory: String)
        throws
    {
        let loaded: Any?
        do {
            loaded = try Yams.load(yaml: yaml)
        } catch {
            throw ConfigurationError(description: "the config file is not valid YAML: \(error)")
        }
        guard let root = loaded as? [String: Any] else {
            if loaded == nil { return }
            throw ConfigurationError(description: "the config file must be a mapping of sections (api, auth, security, storage)")
        }
        let document = try expand(root, path: "", environment: environment, baseDirectory: baseDirectory) as? [String: Any] ?? [:]
        for section in document.keys.sorted() where knownKeys[section] == nil {
            guard foreignSections.contains(section) else {
                throw ConfigurationError(description: "\(section) is not a known section (known: api, auth, security, storage)")
            }
            config.warnings.append("\(section): this section of Arcade's engine.yaml has no effect in Gatehouse")
        }
        for (section, keys) in knownKeys {
            guard let mapping = value(at: section, in: document) else { continue }
            guard let object = mapping as? [String: Any] else {
                throw ConfigurationError(description: "\(section) must be a mapping")
            }
            for key in object.keys where !keys.contains(key) {
                throw ConfigurationError(
                    description: "\(section).\(key) is not a known setting (known: \(keys.sorted().joined(separator: ", ")))")
            }
        }
        if let api = document["api"] as? [String: Any] {
            if let host = api["host"] { config.host = try string(host, "api.host") }
            if let port = api["port"] {
                let number = try integer(port, "api.port")
                guard (1...65535).contains(number) else {
                    throw ConfigurationError(description: "api.port must be from 1 to 65535")
                }
                config.port = number
            }
            if let url = api["public_url"] { config.publicURL = try string(url, "api.public_url") }
            if config.publicURL == nil, let host = api["public_host"] {
                config.publicURL = "https://\(try string(host, "api.public_host"))"
            }
            try applyLimits(api, to: &config)
        }
        if let auth = document["auth"] as? [String: Any] {
            if let verification = auth["user_verification"] as? [String: Any] {
                if let url = verification["verifier_url"] {
                    config.verifierURL = try string(url, "auth.user_verification.verifier_url")
                }
                if let skip = verification["unsafe_skip_verification"] {
                    config.unsafeSkipVerification = try bool(skip, "auth.user_verification.unsafe_skip_verification")
                }
            }
            if let origins = auth["allowed_redirect_origins"] {
                guard let list = origins as? [Any] else {
                    throw ConfigurationError(description: "auth.allowed_redirect_origins must be a list")
                }
                config.allowedRedirectOrigins = try list.enumerated().map {
                    try string($1, "auth.allowed_redirect_origins[\($0)]")
                }
            }
            if let value = auth["flow_ttl"] { config.flowTTL = Double(try integer(value, "auth.flow_ttl")) }
            if let value = auth["refresh_skew"] { config.refreshSkew = Double(try integer(value, "auth.refresh_skew")) }
            if let value = auth["default_token_lifetime"] {
                config.defaultTokenLifetime = Double(try integer(value, "auth.default_token_lifetime"))
            }
            if let providers = auth["providers"] {
                guard let list = providers as? [Any] else {
                    throw ConfigurationError(description: "auth.providers must be a list")
                }
                config.providers = try list.enumerated().map { index, entry in
                    try checkProviderKeys(entry, path: "auth.providers[\(index)]")
                    let data = try JSONSerialization.data(withJSONObject: entry)
                    do {
                        var provider = try JSONDecoder().decode(AuthProviderRequest.self, from: data)
                        guard provider.id != nil else {
                            throw ConfigurationError(description: "auth.providers[\(index)].id is required")
                        }
                        if provider.oauth2 == nil, provider.providerID == nil {
                            throw ConfigurationError(
                                description:
                                    "auth.providers[\(index)] (\(provider.id ?? "")) needs provider_id (a built-in) or an oauth2 block"
                            )
                        }
                        provider.type = provider.type ?? "oauth2"
                        return provider
                    } catch let error as DecodingError {
                        throw ConfigurationError(description: "auth.providers[\(index)]: \(APIRequestDecoder.describe(error))")
                    }
                }
            }
        }
        if let keys = (document["security"] as? [String: Any])?["root_keys"] {
            guard let list = keys as? [[String: Any]], !list.isEmpty else {
                throw ConfigurationError(description: "security.root_keys must be a non-empty list of {id, value, default}")
            }
            config.rootKeys = try list.enumerated().map { index, entry in
                RootKey.Entry(
                    id: try string(entry["id"] as Any, "security.root_keys[\(index)].id"),
                    value: try string(entry["value"] as Any, "security.root_keys[\(index)].value"),
                    isDefault: try entry["default"].map { try bool($0, "security.root_keys[\(index)].default") } ?? false)
            }
            if config.rootKeys.filter(\.isDefault).count > 1 {
                throw ConfigurationError(description: "security.root_keys: only one key may be default")
            }
        }
        if let security = document["security"] as? [String: Any] {
            try applyNetworkSettings(security, to: &config)
        }
        if (document["auth"] as? [String: Any])?["token_store"] != nil {
            throw ConfigurationError(
                description: "auth.token_store is not used by Gatehouse: tokens live, encrypted, in storage; remove the key")
        }
        if let storage = document["storage"] as? [String: Any] {
            if storage["in_memory"] != nil {
                throw ConfigurationError(
                    description:
                        "storage.in_memory is not supported: Gatehouse never drops grants on restart; use storage.sqlite (the default)"
                )
            }
            if storage["postgres"] != nil {
                throw ConfigurationError(description: "storage.postgres is not supported by this build yet; use storage.sqlite")
            }
            if let sqlite = storage["sqlite"] as? [String: Any], let path = sqlite["path"] ?? sqlite["connection_string"] {
                config.sqlitePath = try string(path, "storage.sqlite.path")
                    .replacingOccurrences(of: "@ARCADE_HOME", with: config.dataDirectory)
            }
        }
    }

    /// Expands `${env:NAME}` and `${file:path}` in every string.
    static func expand(_ value: Any, path: String, environment: [String: String], baseDirectory: String) throws -> Any {
        switch value {
        case let object as [String: Any]:
            var result: [String: Any] = [:]
            for (key, child) in object {
                result[key] = try expand(
                    child, path: path.isEmpty ? key : "\(path).\(key)", environment: environment, baseDirectory: baseDirectory)
            }
            return result
        case let list as [Any]:
            return try list.enumerated().map {
                try expand($1, path: "\(path)[\($0)]", environment: environment, baseDirectory: baseDirectory)
            }
        case let text as String:
            return try expand(string: text, path: path, environment: environment, baseDirectory: baseDirectory)
        default:
            return value
        }
    }

    static func expand(string text: String, path: String, environment: [String: String], baseDirectory: String) throws -> String {
        var output = ""
        var rest = Substring(text)
        while let open = rest.range(of: "${") {
            output += rest[..<open.lowerBound]
            guard let close = rest[open.upperBound...].firstIndex(of: "}") else {
                throw ConfigurationError(description: "\(path): unclosed '${' in '\(text)'")
            }
            let reference = rest[open.upperBound..<close]
            if reference.hasPrefix("env:") {
                let name = String(reference.dropFirst(4))
                guard let value = environment[name] else {
                    throw ConfigurationError(description: "\(path): environment variable \(name) is not set")
                }
                output += value
            } else if reference.hasPrefix("file:") {
                var file = String(reference.dropFirst(5))
                if !file.hasPrefix("/") { file = (baseDirectory as NSString).appendingPathComponent(file) }
                guard let contents = try? String(contentsOfFile: file, encoding: .utf8) else {
                    throw ConfigurationError(description: "\(path): cannot read file \(file)")
                }
                output += contents.trimmingCharacters(in: .whitespacesAndNewlines)
            } else {
                throw ConfigurationError(description: "\(path): '${\(reference)}' must be ${env:NAME} or ${file:path}")
            }
            rest = rest[rest.index(after: close)...]
        }
        return output + rest
    }

    static func value(at dotted: String, in document: [String: Any]) -> Any? {
        var current: Any? = document
        for part in dotted.split(separator: ".") { current = (current as? [String: Any])?[String(part)] }
        return current
    }

    static func string(_ value: Any, _ key: String) throws -> String {
        if let text = value as? String { return text }
        if let number = value as? Int { return String(number) }
        throw ConfigurationError(description: "\(key) must be a string")
    }

    static func integer(_ value: Any, _ key: String) throws -> Int {
        if let number = value as? Int { return number }
        if let text = value as? String, let number = Int(text) { return number }
        throw ConfigurationError(description: "\(key) must be a whole number")
    }

    static func bool(_ value: Any, _ key: String) throws -> Bool {
        if let flag = value as? Bool { return flag }
        if let text = value as? String, ["true", "false"].contains(text.lowercased()) { return text.lowercased() == "true" }
        throw ConfigurationError(description: "\(key) must be true or false")
    }
}

extension RootKey {
    typealias Entry = GatehouseConfiguration.RootKeyEntry
}
