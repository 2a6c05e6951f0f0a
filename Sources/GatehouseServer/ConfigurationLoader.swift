import Foundation
import GatehouseCore
import GatehousePostgres
import GatehouseWire

/// Reads `gatehouse.yaml` (Arcade `engine.yaml` shape, for the parts that apply), expands
/// `${env:NAME}` and `${file:path}`, applies environment overrides, and validates.
package enum ConfigurationLoader {
    static let knownKeys: [String: Set<String>] = [
        "api": [
            "host", "port", "public_url", "public_host", "development", "read_timeout", "write_timeout", "idle_timeout",
            "max_request_body_size", "rate_limit", "max_connections", "max_parked_waits_per_key", "unknown_key_rate_limit",
            "shutdown_delay",
        ],
        "api.rate_limit": ["limit", "time_unit", "burst", "noop", "redis"],
        "api.unknown_key_rate_limit": ["limit", "time_unit", "burst", "noop"],
        "auth": [
            "providers", "user_verification", "allowed_redirect_origins", "flow_ttl", "refresh_skew", "default_token_lifetime",
            "token_store", "refresh_lease", "refresh_sweep", "revocation_retry",
        ],
        "auth.user_verification": ["verifier_url", "unsafe_skip_verification", "oidc"],
        "auth.user_verification.oidc": ["issuer", "client_id", "client_secret", "user_claim", "scopes"],
        "auth.refresh_sweep": ["enabled", "interval", "window", "idle_refresh_age"],
        "auth.revocation_retry": ["interval", "give_up_after"],
        "security": ["root_keys", "allowed_provider_networks", "static_hosts"],
        "storage": ["sqlite", "in_memory", "postgres"],
        "storage.sqlite": ["path", "connection_string"],
        "storage.postgres": [
            "url", "host", "port", "user", "password", "database", "db", "sslmode", "sslrootcert", "sslcert", "sslkey",
            "pool_size", "migration_timeout",
        ],
        "log": ["format", "level"],
        "metrics": ["token"],
    ]

    /// The file's sections, as messages list them: the top level of `knownKeys`.
    static var sectionNames: String { knownKeys.keys.filter { !$0.contains(".") }.sorted().joined(separator: ", ") }

    /// Sections of Arcade's engine.yaml that belong to parts Gatehouse does not have: read past
    /// with a warning, so a ported file starts but nobody thinks they took effect.
    static let foreignSections: Set<String> = ["llm", "tools", "telemetry", "cache", "workers", "worker", "mcp"]

    /// The sections the operator commands (`keys`, `migrate`, `reencrypt`) read: where the store
    /// is and the root keys. The others are left unread, so that a provider's
    /// `${env:CLIENT_SECRET}` need not be set in the shell that creates a key.
    package static let storeSections: Set<String> = ["data_dir", "storage", "security"]

    /// Loads the configuration: the file (optional), under the environment (`GATEHOUSE_*`), under
    /// the command line, layered by one `ConfigReader`; of the file, only `sections` when given.
    package static func load(
        path: String?, environment: [String: String], overrides: (host: String?, port: Int?, dataDirectory: String?),
        sections: Set<String>? = nil
    ) throws -> GatehouseConfiguration {
        var config = GatehouseConfiguration()
        var document: [String: Any] = [:]
        var secrets: Set<String> = []
        if let path {
            document = try readFile(
                path, environment: environment, sections: sections, secrets: &secrets, warnings: &config.warnings)
            config.hasConfigFile = true
        }
        let settings = try SettingsReader(document: document, secrets: secrets, environment: environment, overrides: overrides)
        try apply(settings, document: document, to: &config)
        return config
    }

    /// Reads, expands and checks the file: every section and key is known (or an Arcade section
    /// Gatehouse has no part for, with a warning). Records which values came from `${...}`.
    static func readFile(
        _ path: String, environment: [String: String], sections: Set<String>? = nil, secrets: inout Set<String>,
        warnings: inout [String]
    ) throws -> [String: Any] {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw ConfigurationError(description: "cannot read config file \(path): \(error.localizedDescription)")
        }
        let loaded: Any?
        do {
            loaded = try YAMLReader.load(text)
        } catch {
            throw ConfigurationError(description: "the config file is not valid YAML: \(error)")
        }
        guard let root = loaded as? [String: Any] else {
            if loaded == nil { return [:] }
            throw ConfigurationError(
                description: "the config file must be a mapping of sections (\(sectionNames))")
        }
        // The whole file's sections and keys are checked, also where only some sections are
        // read: a mistake is said by `gatehouse keys` as by `serve`. Expansion makes strings
        // only, so the keys are the same before it.
        try checkKeys(root, warnings: &warnings)
        let baseDirectory = (path as NSString).deletingLastPathComponent
        let read = sections.map { wanted in root.filter { wanted.contains($0.key) } } ?? root
        return try expand(read, path: "", environment: environment, baseDirectory: baseDirectory, secrets: &secrets)
            as? [String: Any] ?? [:]
    }

    /// Throws at a section or key that is not known (an Arcade section Gatehouse has no part for
    /// is a warning), or a section that is not a mapping.
    private static func checkKeys(_ document: [String: Any], warnings: inout [String]) throws {
        for section in document.keys.sorted() where knownKeys[section] == nil {
            guard looksLikeAName(section) else {
                throw unknownSetting(section, in: "", known: Set(knownKeys.keys.filter { !$0.contains(".") }))
            }
            guard foreignSections.contains(section) else {
                let foreign = foreignSections.sorted().joined(separator: ", ")
                throw ConfigurationError(
                    description:
                        "\(section) is not a known section (known: \(sectionNames); Arcade's \(foreign) are read past with a warning)"
                )
            }
            warnings.append("\(section): this section of Arcade's engine.yaml has no effect in Gatehouse")
        }
        for (section, keys) in knownKeys {
            guard let mapping = value(at: section, in: document) else { continue }
            guard let object = mapping as? [String: Any] else {
                throw ConfigurationError(description: "\(section) must be a mapping")
            }
            for key in object.keys where !keys.contains(key) {
                throw unknownSetting(key, in: section, known: keys)
            }
        }
    }

    /// Fills the configuration from the layered settings, and the structured parts of the file.
    static func apply(_ settings: SettingsReader, document: [String: Any], to config: inout GatehouseConfiguration) throws {
        if let file = settings.overriddenFileValues { try checkOverridden(file) }
        if let host = settings.string("api.host") { config.host = host }
        try applyLog(settings, to: &config)
        if let port = try readPort(settings) { config.port = port }
        if let value = settings.string("api.shutdown_delay") {
            config.shutdownDelay = try duration(value, "api.shutdown_delay", min: 0, max: 3600)
        }
        config.publicURL = settings.string("api.public_url") ?? settings.string("api.public_host").map { "https://\($0)" }
        if let directory = settings.string("data_dir") { config.dataDirectory = directory }
        try applyLimits(settings, document: document, to: &config)

        if let url = settings.string("auth.user_verification.verifier_url") { config.verifierURL = try verifierURL(url) }
        if let skip = try settings.bool("auth.user_verification.unsafe_skip_verification") {
            config.unsafeSkipVerification = skip
        }
        try applyOIDC(settings, to: &config)
        if let origins = settings.list("auth.allowed_redirect_origins") {
            config.allowedRedirectOrigins = try origins.map { try redirectOrigin($0, warnings: &config.warnings) }
        }
        // Seconds, as before, or a duration with its unit, as every other duration setting takes.
        if let value = settings.string("auth.flow_ttl") {
            config.flowTTL = try duration(value, "auth.flow_ttl", min: 1, max: 7 * 86_400).timeInterval
        }
        if let value = settings.string("auth.refresh_skew") {
            config.refreshSkew = try duration(value, "auth.refresh_skew", min: 0).timeInterval
        }
        if let value = settings.string("auth.refresh_lease") {
            // Renewed every third while a refresh runs: a shorter lease would be writes, not a lease.
            config.refreshLease = try duration(value, "auth.refresh_lease", min: 1).timeInterval
        }
        try applyBackgroundJobs(settings, to: &config)
        if let value = settings.string("auth.default_token_lifetime") {
            config.defaultTokenLifetime =
                try duration(value, "auth.default_token_lifetime", min: 1, max: 366 * 86_400).timeInterval
        }
        if let providers = value(at: "auth.providers", in: document) { config.providers = try readProviders(providers) }
        if value(at: "auth.token_store", in: document) != nil {
            throw ConfigurationError(
                description: "auth.token_store is not used by Gatehouse: tokens live, encrypted, in storage; remove the key")
        }

        if let keys = value(at: "security.root_keys", in: document) { config.rootKeys = try readRootKeys(keys) }
        try applyNetworkSettings(settings, document: document, to: &config)
        config.metricsToken = try readMetricsToken(settings)

        if value(at: "storage.in_memory", in: document) != nil {
            throw ConfigurationError(
                description:
                    "storage.in_memory is not supported: Gatehouse never drops grants on restart; use storage.sqlite (the default)"
            )
        }
        let namesPostgres = value(at: "storage.postgres", in: document) != nil
        let namesSQLite = value(at: "storage.sqlite", in: document) != nil
        if namesPostgres, namesSQLite {
            throw ConfigurationError(description: "storage: name sqlite or postgres, not both")
        }
        config.postgres = try readPostgres(settings, configured: namesPostgres)
        if let postgres = config.postgres, let warning = postgresWarning(postgres) { config.warnings.append(warning) }
        if let limit = try readMigrationLimit(settings) { config.migrationLimit = limit }
        if config.postgres != nil, namesSQLite {
            // GATEHOUSE_DATABASE_URL, as any variable, overrides the file.
            config.warnings.append("storage.sqlite is ignored: GATEHOUSE_DATABASE_URL names a PostgreSQL server")
        } else if let path = settings.string("storage.sqlite.path") ?? settings.string("storage.sqlite.connection_string") {
            let file = path.replacingOccurrences(of: "@ARCADE_HOME", with: config.dataDirectory)
            config.sqlitePath = file
            // The root key beside its database, unless a data directory is named: not in the
            // `.gatehouse` of whatever directory the service starts in, where a backup of the
            // database's directory would miss it.
            if settings.string("data_dir") == nil {
                let directory = (file as NSString).deletingLastPathComponent
                config.dataDirectory = directory.isEmpty ? "." : directory
                config.dataDirectoryFromDatabasePath = true
            }
        }
        if let url = config.publicURL {
            let key = settings.string("api.public_url") == nil ? "api.public_host" : "api.public_url"
            try checkPublicURL(url, settings.described(key))
        }
        if let warning = publicURLWarning(config) { config.warnings.append(warning) }
    }

    /// `security.root_keys`: `{id, value, default}` entries, at most one default.
    static func readRootKeys(_ value: Any) throws -> [RootKey.Entry] {
        guard let list = value as? [[String: Any]], !list.isEmpty else {
            throw ConfigurationError(description: "security.root_keys must be a non-empty list of {id, value, default}")
        }
        let keys = try list.enumerated().map { index, entry in
            RootKey.Entry(
                id: try string(entry["id"] as Any, "security.root_keys[\(index)].id"),
                value: try string(entry["value"] as Any, "security.root_keys[\(index)].value"),
                isDefault: try entry["default"].map { try bool($0, "security.root_keys[\(index)].default") } ?? false)
        }
        if keys.filter(\.isDefault).count > 1 {
            throw ConfigurationError(description: "security.root_keys: only one key may be default")
        }
        return keys
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
