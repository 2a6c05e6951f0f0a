import Configuration
import Foundation

/// The scalar settings, layered by swift-configuration: command line over environment over the
/// config file. Values written as `${env:...}` or `${file:...}` in the file are secrets: the
/// reader redacts them wherever it reports an access. Parsing stays with the loader, so every
/// message names the key.
struct SettingsReader {
    /// The file's settings that are single values or lists, by dotted key. Structured parts
    /// (`auth.providers`, `security.root_keys`, `security.static_hosts`) are read from the document.
    static let scalarKeys: Set<String> = [
        "api.host", "api.port", "api.public_url", "api.public_host", "api.development", "api.read_timeout",
        "api.write_timeout", "api.idle_timeout", "api.max_request_body_size", "api.max_connections",
        "api.max_parked_waits_per_key", "api.shutdown_delay", "api.rate_limit.limit", "api.rate_limit.time_unit",
        "api.rate_limit.burst",
        "api.unknown_key_rate_limit.limit", "api.unknown_key_rate_limit.time_unit", "api.unknown_key_rate_limit.burst",
        "auth.flow_ttl", "auth.refresh_skew", "auth.refresh_lease", "auth.refresh_sweep.enabled",
        "auth.refresh_sweep.interval", "auth.refresh_sweep.window", "auth.refresh_sweep.idle_refresh_age",
        "auth.revocation_retry.interval", "auth.revocation_retry.give_up_after", "auth.default_token_lifetime",
        "auth.user_verification.verifier_url",
        "auth.user_verification.unsafe_skip_verification", "auth.user_verification.oidc.issuer",
        "auth.user_verification.oidc.client_id", "auth.user_verification.oidc.client_secret",
        "auth.user_verification.oidc.user_claim", "storage.sqlite.path", "storage.sqlite.connection_string",
        "storage.postgres.url", "storage.postgres.host", "storage.postgres.port", "storage.postgres.user",
        "storage.postgres.password", "storage.postgres.database", "storage.postgres.db", "storage.postgres.sslmode",
        "storage.postgres.sslrootcert", "storage.postgres.sslcert", "storage.postgres.sslkey",
        "storage.postgres.migration_timeout",
        "storage.postgres.pool_size", "log.format", "log.level", "metrics.token",
    ]
    static let listKeys: Set<String> = [
        "auth.allowed_redirect_origins", "security.allowed_provider_networks", "auth.user_verification.oidc.scopes",
    ]

    /// The environment variables Gatehouse reads, by the setting they override.
    static let environmentNames: [String: String] = [
        "api.host": "GATEHOUSE_HOST", "api.port": "GATEHOUSE_PORT", "api.public_url": "GATEHOUSE_PUBLIC_URL",
        "data_dir": "GATEHOUSE_HOME", "storage.postgres.url": "GATEHOUSE_DATABASE_URL",
        "log.format": "GATEHOUSE_LOG_FORMAT", "log.level": "GATEHOUSE_LOG_LEVEL",
    ]

    private let reader: ConfigReader
    /// The keys a command-line flag set, and the flag.
    private let flags: [String: String]
    /// The keys a documented environment variable set, and the variable.
    private let variables: [String: String]
    /// Of a reader of the file's overridden values alone: what overrides each.
    private let overriddenBy: [String: String]
    /// The file's values that a flag or variable overrides, and what overrides each.
    private let overridden: (values: [AbsoluteConfigKey: ConfigValue], by: [String: String])?

    /// The file's values that a flag or variable overrides, alone: checked as if they were in
    /// use, so that a mistake there is said now, not when the flag goes.
    var overriddenFileValues: SettingsReader? {
        overridden.map { SettingsReader(fileValues: $0.values, overriddenBy: $0.by) }
    }

    init(
        document: [String: Any], secrets: Set<String>, environment: [String: String],
        overrides: (host: String?, port: Int?, dataDirectory: String?)
    ) throws {
        var commandLine: [AbsoluteConfigKey: ConfigValue] = [:]
        var flags: [String: String] = [:]
        for (key, flag, value) in [
            ("api.host", "--host", overrides.host), ("api.port", "--port", overrides.port.map(String.init)),
            ("data_dir", "--data-dir", overrides.dataDirectory),
        ] {
            guard let value else { continue }
            commandLine[Self.absolute(key)] = ConfigValue(.string(value), isSecret: false)
            flags[key] = flag
        }
        // Only the documented variables: `GATEHOUSE_PORT` answers for `api.port`, and nothing
        // else in the environment is read as a setting.
        let names = Self.environmentNames
        let environmentProvider = KeyMappingProvider(upstream: EnvironmentVariablesProvider(environmentVariables: environment)) {
            key in
            guard let name = names[key.components.joined(separator: ".")] else { return AbsoluteConfigKey(["-unused-"]) }
            return AbsoluteConfigKey(name.lowercased().split(separator: "_").map(String.init))
        }
        let variables = names.filter { environment[$0.value] != nil }
        let fileValues = try Self.flatten(document, secrets: secrets)
        reader = ConfigReader(providers: [
            InMemoryProvider(name: "command line", values: commandLine),
            environmentProvider,
            InMemoryProvider(name: "config file", values: fileValues),
        ])
        self.flags = flags
        self.variables = variables
        self.overriddenBy = [:]
        let overriding = variables.merging(flags) { _, flag in flag }
        let overridden = fileValues.filter { overriding[$0.key.components.joined(separator: ".")] != nil }
        self.overridden =
            overridden.isEmpty ? nil : (overridden, overriding.filter { overridden[Self.absolute($0.key)] != nil })
    }

    /// A reader of some of the file's values alone.
    private init(fileValues: [AbsoluteConfigKey: ConfigValue], overriddenBy: [String: String]) {
        reader = ConfigReader(providers: [InMemoryProvider(name: "config file", values: fileValues)])
        flags = [:]
        variables = [:]
        self.overriddenBy = overriddenBy
        overridden = nil
    }

    private static func absolute(_ key: String) -> AbsoluteConfigKey {
        AbsoluteConfigKey(key.split(separator: ".").map(String.init))
    }

    /// The file's single values and lists as configuration values; anything else where a single
    /// value belongs is refused, naming the key.
    static func flatten(_ document: [String: Any], secrets: Set<String>) throws -> [AbsoluteConfigKey: ConfigValue] {
        var values: [AbsoluteConfigKey: ConfigValue] = [:]
        for key in scalarKeys {
            guard let value = ConfigurationLoader.value(at: key, in: document) else { continue }
            let text: String
            switch value {
            case let flag as Bool: text = flag ? "true" : "false"
            case let number as Int: text = String(number)
            case let number as Double: text = String(number)
            case let string as String: text = string
            default: throw ConfigurationError(description: "\(key) must be a single value, not a list or a mapping")
            }
            values[absolute(key)] = ConfigValue(.string(text), isSecret: secrets.contains(key))
        }
        for key in listKeys {
            guard let value = ConfigurationLoader.value(at: key, in: document) else { continue }
            guard let list = value as? [Any] else { throw ConfigurationError(description: "\(key) must be a list") }
            let items = try list.enumerated().map { try ConfigurationLoader.string($1, "\(key)[\($0)]") }
            values[absolute(key)] = ConfigValue(.stringArray(items), isSecret: false)
        }
        return values
    }

    /// A single value, as text.
    func string(_ key: String) -> String? {
        reader.string(forKey: ConfigKey(key))
    }

    /// A whole number, naming the key (and where its value came from) when it is not one.
    func integer(_ key: String) throws -> Int? {
        try string(key).map { try ConfigurationLoader.integer($0, described(key)) }
    }

    /// `true` or `false`, naming the key (and where its value came from) otherwise.
    func bool(_ key: String) throws -> Bool? {
        try string(key).map { try ConfigurationLoader.bool($0, described(key)) }
    }

    /// The key as a message names it, with where its value came from when that is not the file:
    /// a value from `GATEHOUSE_PORT` said as `api.port` sends the operator to a file that lacks
    /// it. A file's value that is overridden says so.
    func described(_ key: String) -> String {
        if let over = overriddenBy[key] { return "\(key) in the config file (overridden by \(over) now)" }
        if let source = flags[key] ?? variables[key] { return "\(key) (from \(source))" }
        return key
    }

    /// A list of strings.
    func list(_ key: String) -> [String]? {
        reader.stringArray(forKey: ConfigKey(key))
    }
}
