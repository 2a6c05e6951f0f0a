import Configuration
import Foundation
import GatehouseCore
import Testing

@testable import GatehouseServer

@Suite struct ConfigurationLoaderTests {
    func write(_ text: String) throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("gh-\(UUID().uuidString).yaml").path
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    func load(_ yaml: String) throws -> GatehouseConfiguration {
        try ConfigurationLoader.load(path: try write(yaml), environment: [:], overrides: (nil, nil, nil))
    }

    func problem(
        _ yaml: String, environment: [String: String] = [:],
        overrides: (host: String?, port: Int?, dataDirectory: String?) = (nil, nil, nil)
    ) throws -> String {
        let path = try write(yaml)
        do {
            _ = try ConfigurationLoader.load(path: path, environment: environment, overrides: overrides)
            return ""
        } catch {
            return "\(error)"
        }
    }

    @Test func readsAnEngineYamlAndExpandsVariables() throws {
        let secretFile = try write("file-secret\n")
        let path = try write(
            """
            api: { host: 0.0.0.0, port: 9100, public_url: "https://auth.example.com" }
            auth:
              user_verification: { verifier_url: "https://app.example.com/verify" }
              allowed_redirect_origins: ["https://app.example.com"]
              providers:
                - id: google
                  provider_id: google
                  client_id: ${env:GOOGLE_ID}
                  client_secret: ${file:\(secretFile)}
            security:
              root_keys:
                - { id: k1, value: "${env:KEY1}" }
                - { id: k2, value: "${env:KEY2}", default: true }
            storage: { sqlite: { path: /tmp/x.sqlite } }
            llm: { models: [] }
            """)
        let environment = ["GOOGLE_ID": "gid", "KEY1": "a", "KEY2": "b", "GATEHOUSE_PORT": "9200"]
        let config = try ConfigurationLoader.load(path: path, environment: environment, overrides: (nil, nil, "/data"))
        #expect(config.host == "0.0.0.0" && config.port == 9200 && config.dataDirectory == "/data")
        #expect(config.effectivePublicURL == "https://auth.example.com")
        #expect(config.providers.first?.clientID == "gid" && config.providers.first?.clientSecret == "file-secret")
        #expect(config.rootKeys.map(\.id) == ["k1", "k2"] && config.rootKeys.last?.isDefault == true)
        #expect(config.sqlitePath == "/tmp/x.sqlite" && config.verifierURL == "https://app.example.com/verify")
        #expect(try config.verificationPolicy().skipAllowed == false)
    }

    @Test(arguments: [
        ("api: { prot: 1 }", "api.prot"),
        ("api: { port: 70000 }", "api.port"),
        ("auth: { providers: [ { id: x, client_id: \"${env:MISSING}\" } ] }", "MISSING"),
        ("auth: { providers: [ { client_id: a } ] }", "auth.providers[0].id"),
        ("auth: { providers: [ { id: x, client_id: a } ] }", "provider_id"),
        ("security: { root_keys: [] }", "security.root_keys"),
        ("storage: { postgres: { host: db } }", "storage.postgres"),
        ("auth: { user_verification: { unsafe_skip_verification: maybe } }", "unsafe_skip_verification"),
        ("api: [1, 2", "YAML"),
        ("api: { development: true }", "api.development"),
        ("api: { read_timeout: soon }", "api.read_timeout"),
        ("api: { max_request_body_size: lots }", "api.max_request_body_size"),
        ("api: { rate_limit: { redis: { addr: x } } }", "api.rate_limit.redis"),
        ("api: { unknown_key_rate_limit: { limit: 0 } }", "api.unknown_key_rate_limit.limit"),
        ("api: { unknown_key_rate_limit: 5 }", "api.unknown_key_rate_limit must be a mapping"),
        ("api: { rate_limit: { limit: 5, time_unit: w } }", "api.rate_limit.time_unit"),
        ("api: { read_timeout: 99999999999999999999h }", "api.read_timeout"),
        ("api: { max_request_body_size: 99999999999999Mb }", "api.max_request_body_size"),
        ("api: { max_connections: 0 }", "api.max_connections"),
        ("api: { shutdown_delay: 2h }", "api.shutdown_delay"),
        ("auth: { token_store: { in_memory: {} } }", "auth.token_store"),
        ("storage: { in_memory: {} }", "storage.in_memory"),
        ("security: { allowed_provider_networks: [10.0.0.0/99] }", "security.allowed_provider_networks[0]"),
        ("security: { static_hosts: { a.test: not-an-ip } }", "security.static_hosts.a.test"),
        ("nonsense: {}", "nonsense"),
        ("auth: { providers: [ { id: x, provider_id: google, clinet_id: a } ] }", "auth.providers[0].clinet_id"),
        ("auth: { providers: [ { id: x, external_id: e, provider_id: google } ] }", "auth.providers[0].external_id"),
        (
            "auth: { providers: [ { id: g, provider_id: google }, { id: h, provider_id: github }, { id: g, provider_id: github } ] }",
            "auth.providers[2].id 'g' is already the id of auth.providers[0]"
        ),
        (
            "auth: { providers: [ { id: x, oauth2: { token_request: { endpoint: e, auth: basic } } } ] }",
            "auth.providers[0].oauth2.token_request.auth"
        ),
        ("api: { public_url: \"${nope:x}\" }", "${env:NAME}"),
        // Values that started and then failed every flow, or every long-poll.
        ("auth: { flow_ttl: -3 }", "auth.flow_ttl must be a duration from 1s to 7d"),
        ("auth: { flow_ttl: 0 }", "auth.flow_ttl"),
        ("auth: { refresh_skew: -5 }", "auth.refresh_skew must be a duration from 0"),
        ("auth: { default_token_lifetime: -1 }", "auth.default_token_lifetime"),
        ("api: { max_parked_waits_per_key: 0 }", "api.max_parked_waits_per_key must be from 1"),
        ("auth: { allowed_redirect_origins: [notanorigin] }", "'notanorigin' is not an origin"),
        ("auth: { allowed_redirect_origins: ['ftp://app.example.com'] }", "is not an origin"),
        ("auth: { allowed_redirect_origins: ['https://user:pw@app.example.com'] }", "is not an origin"),
        // Its origin is allowed as a next_uri: it must have one.
        ("auth: { user_verification: { verifier_url: 'javascript:alert(1)' } }", "verifier_url must be an http(s) URL"),
        ("auth: { user_verification: { verifier_url: '//evil.example/verify' } }", "verifier_url must be an http(s) URL"),
    ])
    func badConfigNamesTheKey(yaml: String, key: String) throws {
        let message = try problem(yaml)
        #expect(message.contains(key), "\(message)")
    }

    @Test func logFormatAndLevelAreReadAndChecked() throws {
        let path = try write("log: { format: json, level: debug }\n")
        let configuration = try ConfigurationLoader.load(path: path, environment: [:], overrides: (nil, nil, nil))
        #expect(configuration.logFormat == .json && configuration.logLevel == .debug)
        let fromEnvironment = try ConfigurationLoader.load(
            path: nil, environment: ["GATEHOUSE_LOG_FORMAT": "json", "GATEHOUSE_LOG_LEVEL": "warning"],
            overrides: (nil, nil, nil))
        #expect(fromEnvironment.logFormat == .json && fromEnvironment.logLevel == .warning)
        let defaults = try ConfigurationLoader.load(path: nil, environment: [:], overrides: (nil, nil, nil))
        #expect(defaults.logFormat == .text && defaults.logLevel == .info)
        #expect(try problem("log: { format: xml }\n").contains("log.format must be text or json"))
        #expect(try problem("log: { level: loud }\n").contains("log.level must be one of trace"))
        #expect(try problem("log: { colour: on }\n").contains("log.colour is not a known setting"))
    }

    @Test func limitsAndNetworkSettingsAreRead() throws {
        let path = try write(
            """
            api:
              read_timeout: 5s
              write_timeout: 1m
              idle_timeout: 500ms
              max_request_body_size: 4Mb
              max_connections: 300
              max_parked_waits_per_key: 7
              shutdown_delay: 10s
              rate_limit: { limit: 120, time_unit: m, burst: 10 }
              unknown_key_rate_limit: { limit: 5, burst: 50 }
            auth:
              user_verification: { unsafe_skip_verification: true }
              refresh_lease: 10s
              refresh_sweep: { interval: 1m, window: 10m, idle_refresh_age: 14d }
              revocation_retry: { interval: 30s, give_up_after: 7d }
            security:
              allowed_provider_networks: [127.0.0.1/32, "fc00::/7"]
              static_hosts: { idp.internal: [10.1.2.3, "fd00::1"] }
            telemetry: { environment: local }
            """)
        let config = try ConfigurationLoader.load(path: path, environment: [:], overrides: (nil, nil, nil))
        #expect(config.limits.readTimeout == .seconds(5) && config.limits.writeTimeout == .seconds(60))
        #expect(config.limits.idleTimeout == .milliseconds(500) && config.limits.maxBodyBytes == 4 << 20)
        #expect(config.limits.maxConnections == 300 && config.limits.maxParkedWaitsPerKey == 7)
        #expect(config.shutdownDelay == .seconds(10))
        #expect(config.limits.requestsPerSecond == 2 && config.limits.burst == 10)
        #expect(config.limits.unknownKeyReadsPerSecond == 5 && config.limits.unknownKeyBurst == 50)
        #expect(config.allowedProviderNetworks?.map(\.description) == ["127.0.0.1/32", "fc00::/7"])
        #expect(config.staticHosts["idp.internal"]?.map(\.description) == ["10.1.2.3", "fd00::1"])
        #expect(config.warnings == ["telemetry: this section of Arcade's engine.yaml has no effect in Gatehouse"])
        #expect(config.providerNetworkPolicy.allowed.count == 2)
        #expect(config.refreshLease == 10 && config.refreshSweep.interval == .seconds(60))
        #expect(config.refreshSweep.window == 600 && config.refreshSweep.idleAge == 14 * 86_400)
        #expect(config.revocationRetry.interval == 30 && config.revocationRetry.giveUpAfter == 7 * 86_400)
        let noop = try ConfigurationLoader.load(
            path: try write("api: { rate_limit: { noop: {} }, unknown_key_rate_limit: { noop: {} } }"), environment: [:],
            overrides: (nil, nil, nil))
        #expect(noop.limits.requestsPerSecond == nil && noop.limits.unknownKeyReadsPerSecond == nil)
        let defaults = try ConfigurationLoader.load(path: try write("api: {}"), environment: [:], overrides: (nil, nil, nil))
        #expect(defaults.limits.unknownKeyReadsPerSecond == 100 && defaults.limits.unknownKeyBurst == 1000)
    }

    @Test func aDurationErrorOffersValuesTheKeyTakes() throws {
        // 0 is the window's default: it may be written out.
        let zero = try load("auth: { user_verification: { unsafe_skip_verification: true }, refresh_sweep: { window: 0 } }")
        #expect(zero.refreshSweep.window == 0)
        #expect(
            try problem("auth: { refresh_lease: 7d }")
                == "auth.refresh_lease must be a duration from 1s to 24h, such as 30s, 1m, 5m or 2h")
        #expect(
            try problem("auth: { refresh_lease: 500ms }")
                == "auth.refresh_lease must be a duration from 1s to 24h, such as 30s, 1m, 5m or 2h")
        #expect(
            try problem("auth: { refresh_sweep: { idle_refresh_age: 400d } }")
                == "auth.refresh_sweep.idle_refresh_age must be a duration from 1ms to 366d, such as 30s, 1m, 2h or 7d")
        #expect(try problem("auth: { refresh_sweep: { window: -1s } }").contains("from 0 to 24h"))
        #expect(
            try problem("auth: { revocation_retry: { interval: 500ms } }")
                == "auth.revocation_retry.interval must be a duration from 1s to 24h, such as 30s, 1m, 5m or 2h")
        #expect(try problem("auth: { revocation_retry: { give_up_after: 400d } }").contains("from 0 to 366d"))
    }

    @Test func theDatabaseURLFromTheEnvironmentBeatsTheFilesSQLite() throws {
        let path = try write("storage: { sqlite: { path: /srv/g.sqlite } }")
        let config = try ConfigurationLoader.load(
            path: path, environment: ["GATEHOUSE_DATABASE_URL": "postgres://gh@db:5432/gh"], overrides: (nil, nil, nil))
        #expect(config.postgres?.host == "db")
        #expect(config.warnings.contains("storage.sqlite is ignored: GATEHOUSE_DATABASE_URL names a PostgreSQL server"))
        // Both in the file is a mistake to say.
        #expect(
            try problem("storage: { sqlite: { path: /srv/g.sqlite }, postgres: { url: 'postgres://gh@db/gh' } }")
                .contains("name sqlite or postgres, not both"))
    }

    @Test func theCommandLineBeatsTheEnvironmentWhichBeatsTheFile() throws {
        let path = try write("api: { host: 10.0.0.1, port: 9100 }\nstorage: { sqlite: { path: '@ARCADE_HOME/g.sqlite' } }")
        let environment = ["GATEHOUSE_PORT": "9200", "GATEHOUSE_HOME": "/env-home", "API_HOST": "ignored"]
        let fromEnvironment = try ConfigurationLoader.load(path: path, environment: environment, overrides: (nil, nil, nil))
        #expect(fromEnvironment.host == "10.0.0.1" && fromEnvironment.port == 9200)
        #expect(fromEnvironment.dataDirectory == "/env-home" && fromEnvironment.sqlitePath == "/env-home/g.sqlite")
        let fromCommandLine = try ConfigurationLoader.load(
            path: path, environment: environment, overrides: ("127.0.0.1", 9300, "/cli-home"))
        #expect(
            fromCommandLine.host == "127.0.0.1" && fromCommandLine.port == 9300 && fromCommandLine.dataDirectory == "/cli-home")
        #expect(throws: ConfigurationError.self) {
            try ConfigurationLoader.load(path: path, environment: ["GATEHOUSE_PORT": "http"], overrides: (nil, nil, nil))
        }
    }

    @Test func valuesFromTheEnvironmentOrFilesAreSecrets() throws {
        let document: [String: Any] = [
            "auth": ["user_verification": ["verifier_url": "https://app.example/verify"]], "api": ["host": "h"],
        ]
        let values = try SettingsReader.flatten(document, secrets: ["auth.user_verification.verifier_url"])
        #expect(values[AbsoluteConfigKey(["auth", "user_verification", "verifier_url"])]?.isSecret == true)
        #expect(values[AbsoluteConfigKey(["api", "host"])]?.isSecret == false)
        #expect(throws: ConfigurationError.self) { try SettingsReader.flatten(["api": ["host": ["a", "b"]]], secrets: []) }
    }

    @Test func theQuickStartAllowsLoopbackProvidersAndAConfigFileDoesNot() throws {
        #expect(GatehouseConfiguration().providerNetworkPolicy.allowed == ProviderNetworkPolicy.loopback)
        #expect(GatehouseConfiguration(hasConfigFile: true).providerNetworkPolicy.allowed.isEmpty)
    }

    @Test func aConfigProviderThatLeaksItsSecretStopsTheStart() async throws {
        let path = try write(
            """
            auth:
              user_verification: { unsafe_skip_verification: true }
              providers:
                - id: leaky
                  client_id: a
                  client_secret: b
                  oauth2:
                    authorize_request:
                      endpoint: https://idp.example/authorize
                      params: { response_type: code, leak: "{{client_secret}}" }
                    token_request: { endpoint: https://idp.example/token }
            """)
        var configuration = try ConfigurationLoader.load(path: path, environment: [:], overrides: (nil, nil, nil))
        configuration.dataDirectory = FileManager.default.temporaryDirectory.appendingPathComponent(UUID().uuidString).path
        defer { try? FileManager.default.removeItem(atPath: configuration.dataDirectory) }
        do {
            _ = try await buildApplication(configuration: configuration)
            Issue.record("the start went ahead")
        } catch {
            #expect("\(error)".contains("oauth2.authorize_request.params.leak may not use {{client_secret}}"), "\(error)")
        }
    }

    @Test func aConfigProviderMayNameTheHostsItsConnectionsPointToItsIssuerAndItsRevocation() throws {
        let path = try write(
            """
            auth:
              providers:
                - id: sf
                  client_id: a
                  oauth2:
                    authorize_request: { endpoint: https://login.salesforce.com/services/oauth2/authorize }
                    token_request: { endpoint: https://login.salesforce.com/services/oauth2/token }
                    refresh_request: { endpoint: "{{user_info.instance_url}}/services/oauth2/token" }
                    connection_hosts: ["*.my.salesforce.com"]
                    issuer: https://login.salesforce.com
                    token_revocation_request: { endpoint: https://login.salesforce.com/services/oauth2/revoke }
            """)
        let configuration = try ConfigurationLoader.load(path: path, environment: [:], overrides: (nil, nil, nil))
        #expect(configuration.providers.first?.oauth2?.connectionHosts == ["*.my.salesforce.com"])
        #expect(configuration.providers.first?.oauth2?.issuer == "https://login.salesforce.com")
        #expect(
            configuration.providers.first?.oauth2?.tokenRevocationRequest?.endpoint
                == "https://login.salesforce.com/services/oauth2/revoke")
    }

    @Test func aBadRootKeyStopsTheStart() async throws {
        var configuration = GatehouseConfiguration(
            dataDirectory: FileManager.default.temporaryDirectory.appendingPathComponent(UUID().uuidString).path)
        configuration.rootKeys = [.init(id: "k", value: "dG9vIHNob3J0", isDefault: true)]
        let error = await #expect(throws: ConfigurationError.self) {
            _ = try await buildApplication(configuration: configuration)
        }
        #expect(error?.description == "security.root_keys: root key 'k' must be 32 bytes (base64 of 32 random bytes), not 9")
    }
}
