import Foundation
import GatehousePostgres
import GatehouseWire
import Testing

@testable import GatehouseServer

// Durations with their units, origins cut to their origin, where the root key lives, a file that
// is not YAML, and a configuration's secrets kept out of its printing.
extension ConfigurationLoaderTests {
    /// A configuration, printed whole, shows none of the secrets it holds.
    @Test func aConfigurationPrintsWithoutItsSecrets() throws {
        var configuration = GatehouseConfiguration(port: 0, dataDirectory: "/tmp/none")
        configuration.rootKeys = [.init(id: "k1", value: "cm9vdC1rZXktbWF0ZXJpYWw", isDefault: true)]
        configuration.postgres = try PostgresSettings(url: "postgres://gh:pg-s3cret@db/gh")
        configuration.providers = [
            AuthProviderRequest(id: "p", clientSecret: "top-s3cret", oauth2: OAuth2Config(clientSecret: "inner-s3cret"))
        ]
        configuration.metricsToken = ScrapeToken("scrape-s3cret-" + String(repeating: "0", count: 32))
        for printed in ["\(configuration)", String(reflecting: configuration)] {
            #expect(!printed.contains("s3cret") && !printed.contains("cm9vdC1rZXktbWF0ZXJpYWw"), "\(printed)")
        }
    }

    /// Refused with where and why, without the text: the offending line may hold a secret.
    @Test func aYAMLErrorSaysWhereWithoutQuotingTheLine() throws {
        // A tab indents the secret's line, which YAML forbids.
        let said = try problem("auth:\n  providers:\n    - id: acme\n\tclient_secret: hunter2-secret\n")
        #expect(said.hasPrefix("the config file is not valid YAML: line 4, column 1: "), "\(said)")
        #expect(!said.contains("hunter2"))
        // The same in a provider's own file (`gatehouse providers add -f`).
        let error = try #require(throws: YAMLReader.Invalid.self) {
            try ConfigurationLoader.providerEntry(
                file: "acme.yaml", text: "id: acme\n\tclient_secret: hunter2-secret\n", environment: [:])
        }
        #expect(error.description.hasPrefix("line 2, column 1: ") && !error.description.contains("hunter2"), "\(error)")
    }

    /// `providers add -f`: a key the entry does not take is named as the entry's own, and a whole
    /// config file given in its place is said as such.
    @Test func aProviderFileNamesItsOwnKeysAndTellsAConfigFileApart() throws {
        func problem(_ text: String) -> String? {
            #expect(throws: ConfigurationError.self) {
                try ConfigurationLoader.providerEntry(file: "acme.yaml", text: text, environment: [:])
            }?.description
        }
        #expect(problem("id: acme\nclient_idd: x\n")?.hasPrefix("client_idd is not a known setting (known: ") == true)
        #expect(problem("id: acme\noauth2: { scope: [a] }\n")?.hasPrefix("oauth2.scope is not a known setting") == true)
        #expect(
            problem("auth: { providers: [ { id: acme } ] }\n")
                == "acme.yaml has a config file's sections (auth); it must hold one provider entry, as an item of auth.providers is (id, provider_id or oauth2, client_id, ...)"
        )
        #expect(problem("- id: acme\n") == "acme.yaml must be a mapping")
    }

    /// Durations take their unit, as every other duration setting does; bare seconds as before.
    @Test func flowAndTokenTimesTakeAUnit() throws {
        let config = try load("auth: { flow_ttl: 10m, refresh_skew: 0, default_token_lifetime: 1h }")
        #expect(config.flowTTL == 600 && config.refreshSkew == 0 && config.defaultTokenLifetime == 3600)
        #expect(try load("auth: { flow_ttl: 900 }").flowTTL == 900)
        let origins = try load(
            "auth: { allowed_redirect_origins: ['https://app.example.com/', 'http://localhost:*', 'https://App.example.com:8443/cb'] }"
        )
        #expect(
            origins.allowedRedirectOrigins == ["https://app.example.com", "http://localhost:*", "https://app.example.com:8443"])
        // A path worked before (only the origin is compared), and still does, with a word.
        #expect(
            origins.warnings == [
                "auth.allowed_redirect_origins: 'https://App.example.com:8443/cb' is taken as https://app.example.com:8443: only the origin of a next_uri is compared"
            ])
    }

    /// The root key lives beside the database a file names, not in the `.gatehouse` of whatever
    /// directory the service starts in (a backup of the database's directory would miss it); a
    /// data directory that is named still wins.
    @Test func theRootKeyLivesBesideTheDatabaseTheFileNames() throws {
        let path = try write("storage: { sqlite: { path: /var/lib/gatehouse/gatehouse.sqlite } }")
        let beside = try ConfigurationLoader.load(path: path, environment: [:], overrides: (nil, nil, nil))
        #expect(beside.dataDirectory == "/var/lib/gatehouse" && beside.databasePath == "/var/lib/gatehouse/gatehouse.sqlite")
        #expect(try load("storage: { sqlite: { path: g.sqlite } }").dataDirectory == ".")
        let named = try ConfigurationLoader.load(path: path, environment: ["GATEHOUSE_HOME": "/keys"], overrides: (nil, nil, nil))
        #expect(named.dataDirectory == "/keys" && named.databasePath == "/var/lib/gatehouse/gatehouse.sqlite")
        #expect(try load("api: { port: 9100 }").dataDirectory == ".gatehouse")
    }

    /// A pool too small for the jobs' locks beside the requests is refused, in the URL and as a
    /// setting, naming the range.
    @Test func aPoolTooSmallForTheJobsIsRefused() throws {
        let url = #expect(throws: PostgresSettingsError.self) { try PostgresSettings(url: "postgres://gh@db/gh?pool_size=3") }
        #expect(url?.reason == "pool_size must be from 4 to 1000")
        #expect(try PostgresSettings(url: "postgres://gh@db/gh?pool_size=4").poolSize == 4)
        let said = try problem("storage: { postgres: { host: db, user: gh, pool_size: 2 } }")
        #expect(said == "storage.postgres.pool_size must be from 4 to 1000", "\(said)")
        #expect(try load("storage: { postgres: { host: db, user: gh, pool_size: 4 } }").postgres?.poolSize == 4)
    }

    /// A URL and parts together would leave one unused without a word (a file's verify-full under
    /// a URL from the environment would not check the certificate): refused, naming the parts.
    @Test func aDatabaseURLWithPartsBesideItIsRefused() throws {
        let file = try problem("storage: { postgres: { url: 'postgres://gh@db/gh', sslmode: verify-full } }")
        #expect(
            file.contains("storage.postgres.url is set, and so is storage.postgres.sslmode:"), "\(file)")
        let environment = try problem(
            "storage: { postgres: { host: db, user: gh, sslmode: verify-full, pool_size: 50 } }",
            environment: ["GATEHOUSE_DATABASE_URL": "postgres://gh@db/gh"])
        #expect(
            environment.contains(
                "storage.postgres.url (from GATEHOUSE_DATABASE_URL) is set, and so is storage.postgres.host, storage.postgres.user, storage.postgres.sslmode, storage.postgres.pool_size: give the URL or the parts, not both"
            ),
            "\(environment)")
        #expect(
            try load("storage: { postgres: { url: 'postgres://gh@db/gh?sslmode=verify-full' } }").postgres?.tls == .verifyFull)
    }

    /// `sslrootcert` from the parts or a URL: read at the start, so a file that cannot be used,
    /// or one beside a mode that checks no certificate, stops it there.
    @Test func rootCertificatesAreCheckedAtTheStart() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("gh-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let missing = directory.appendingPathComponent("ca.pem").path
        let parts = try problem("storage: { postgres: { host: db, user: gh, sslmode: verify-full, sslrootcert: '\(missing)' } }")
        #expect(parts == "storage.postgres: sslrootcert \(missing) cannot be read", "\(parts)")
        let url = try problem("storage: { postgres: { url: 'postgres://gh@db/gh?sslmode=verify-ca&sslrootcert=\(missing)' } }")
        #expect(url == "storage.postgres.url sslrootcert \(missing) cannot be read", "\(url)")
        let unchecked = try problem("storage: { postgres: { host: db, user: gh, sslmode: require, sslrootcert: system } }")
        #expect(
            unchecked == "storage.postgres: sslrootcert is used only with sslmode=verify-ca or verify-full, not sslmode=require",
            "\(unchecked)")
        let system = try load("storage: { postgres: { host: db, user: gh, sslmode: verify-full, sslrootcert: system } }")
        #expect(system.postgres?.tls == .verifyFull)
        #expect(system.postgres?.rootCertificates == "system")
        // A chain check without the name against the system's store would take any public
        // certificate: verify-ca needs the database's own CA.
        for roots in ["", ", sslrootcert: system"] {
            let said = try problem("storage: { postgres: { host: db, user: gh, sslmode: verify-ca\(roots) } }")
            #expect(
                said.hasPrefix("storage.postgres: sslmode=verify-ca needs sslrootcert naming the database's own CA file"),
                "\(said)")
        }
    }

    /// The operator commands read the store's sections only: a provider's secret from a variable
    /// the operator's shell lacks is not needed there; one in the store's settings still is.
    @Test func theStoresSectionsAreReadAlone() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("gh-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("gatehouse.yaml").path
        try Data(
            """
            auth: { providers: [ { id: g, provider_id: google, client_id: x, client_secret: "${env:GH_UNSET_SECRET}" } ] }
            storage: { sqlite: { path: /var/lib/gh/g.sqlite } }
            """.utf8
        ).write(to: URL(fileURLWithPath: path))
        let load = { (sections: Set<String>?) in
            try ConfigurationLoader.load(path: path, environment: [:], overrides: (nil, nil, nil), sections: sections)
        }
        #expect(throws: ConfigurationError.self) { try load(nil) }
        let store = try load(ConfigurationLoader.storeSections)
        #expect(store.sqlitePath == "/var/lib/gh/g.sqlite" && store.providers.isEmpty)
        // The other sections' keys are still checked: a mistake is said by `keys` as by `serve`.
        for (text, says) in [
            ("api: { prot: 9 }", "api.prot is not a known setting"), ("metric: {}", "metric is not a known section"),
            ("auth: { user_verification: { skip: true } }", "auth.user_verification.skip is not a known setting"),
        ] {
            try Data((text + "\nstorage: { sqlite: { path: /var/lib/gh/g.sqlite } }").utf8).write(to: URL(fileURLWithPath: path))
            let error = #expect(throws: ConfigurationError.self) { try load(ConfigurationLoader.storeSections) }
            #expect(error?.description.hasPrefix(says) == true, "\(error?.description ?? "")")
        }
        // Every section it knows, and the ones of Arcade's it reads past.
        #expect(
            try problem("metric: {}")
                == "metric is not a known section (known: api, auth, log, metrics, security, storage; Arcade's cache, llm, mcp, telemetry, tools, worker, workers are read past with a warning)"
        )
    }

    /// A bad value is said with where it came from: the file, a variable or a flag.
    @Test func aBadValueNamesWhereItCameFrom() throws {
        #expect(
            try problem("", environment: ["GATEHOUSE_PORT": "abc"]) == "api.port (from GATEHOUSE_PORT) must be a whole number")
        #expect(try problem("api: { port: abc }") == "api.port must be a whole number")
        #expect(try problem("api: { max_connections: abc }") == "api.max_connections must be a whole number")
        #expect(
            try problem("", environment: ["GATEHOUSE_PUBLIC_URL": "gatehouse.example.com"])
                == "api.public_url (from GATEHOUSE_PUBLIC_URL) must be an absolute http(s) URL, not 'gatehouse.example.com'")
        #expect(try problem("", overrides: (nil, 70000, nil)) == "api.port (from --port) must be from 1 to 65535, not 70000")
    }

    /// A value typed as part of a key (a ':' missing) is not repeated in the refusal: it may be a
    /// secret.
    @Test func anUnknownKeyThatMayHoldAValueIsNotQuoted() throws {
        for (text, place) in [
            ("metrics: { token s3cr3t-0123456789abcdef }", "metrics has a key"),
            (
                "auth: { providers: [ { id: x, provider_id: github, oauth2: { client_id: c, client_secret=s3cr3t-0123456789abcdef } } ] }",
                "auth.providers[0].oauth2 has a key"
            ),
            ("\"token s3cr3t-0123456789abcdef\": 1", "the config file has a key"),
        ] {
            let said = try problem(text)
            #expect(said.contains(place) && said.contains("is a ':' missing after a name?"), "\(said)")
            #expect(!said.contains("s3cr3t"), "\(said)")
        }
        #expect(try problem("metrics: { tokn: x }").hasPrefix("metrics.tokn is not a known setting (known: token)"))
    }

    /// A bad value in the file is said also while a flag or variable overrides it: else it would
    /// be said only once the override goes, far from the edit that made it.
    @Test func aBadFileValueIsSaidAlsoWhileOverridden() throws {
        #expect(
            try problem("api: { port: abc }", overrides: (nil, 9100, nil))
                == "api.port in the config file (overridden by --port now) must be a whole number")
        #expect(
            try problem("api: { port: 0 }", environment: ["GATEHOUSE_PORT": "9100"])
                == "api.port in the config file (overridden by GATEHOUSE_PORT now) must be from 1 to 65535, not 0")
        let level = try problem("log: { level: loud }", environment: ["GATEHOUSE_LOG_LEVEL": "info"])
        #expect(
            level.hasPrefix("log.level in the config file (overridden by GATEHOUSE_LOG_LEVEL now) must be one of"), "\(level)")
        let url = try problem(
            "api: { public_url: auth.example.com }", environment: ["GATEHOUSE_PUBLIC_URL": "https://auth.example.com"])
        #expect(
            url
                == "api.public_url in the config file (overridden by GATEHOUSE_PUBLIC_URL now) must be an absolute http(s) URL, not 'auth.example.com'"
        )
        let database = try problem(
            "storage: { postgres: { url: 'mysql://db' } }", environment: ["GATEHOUSE_DATABASE_URL": "postgres://gh@db/gh"])
        #expect(
            database.hasPrefix("storage.postgres.url in the config file (overridden by GATEHOUSE_DATABASE_URL now)"),
            "\(database)")
        // Its form only: certificate files of another environment are not looked for.
        #expect(
            try problem(
                "storage: { postgres: { url: 'postgres://gh@db/gh?sslmode=verify-full&sslrootcert=/nowhere/ca.pem' } }",
                environment: ["GATEHOUSE_DATABASE_URL": "postgres://gh@db/gh"]) == "")
        // Good values under an override load, the override's in use.
        let loaded = try ConfigurationLoader.load(
            path: try write("api: { port: 9200 }\nlog: { level: debug }\n"), environment: ["GATEHOUSE_LOG_LEVEL": "info"],
            overrides: (nil, 9300, nil))
        #expect(loaded.port == 9300 && loaded.logLevel == .info)
    }

    /// A database off this host without a certificate check is said at the start.
    @Test func aDatabaseAcrossANetworkWithoutACertificateCheckIsSaid() throws {
        let prefer = try load("storage: { postgres: { host: db.example.com, user: gh } }").warnings
        #expect(
            prefer == [
                "storage.postgres: sslmode=prefer encrypts the connection to db.example.com but checks no certificate, so anyone on the network path can pose as the database; across a network you do not own, use sslmode=verify-full (with sslrootcert for a database with its own CA)"
            ])
        let disable = try load("storage: { postgres: { url: 'postgres://gh@10.0.0.5/gh?sslmode=disable' } }").warnings
        #expect(disable.first?.hasPrefix("storage.postgres: sslmode=disable sends everything to 10.0.0.5 unencrypted;") == true)
        for quiet in [
            "storage: { postgres: { host: db.example.com, user: gh, sslmode: verify-full } }",
            "storage: { postgres: { url: 'postgres://gh@127.0.0.1/gh?sslmode=disable' } }",
            "storage: { postgres: { host: localhost, user: gh } }",
        ] {
            #expect(try load(quiet).warnings == [], "\(quiet)")
        }
    }

    /// A public URL that browsers and providers cannot reach (the listen address, 0.0.0.0), or
    /// that sends keys and the dashboard's session in clear, is said at the start.
    @Test func aPublicURLThatCannotServeIsSaid() throws {
        let unset = try load("api: { host: 0.0.0.0, port: 9100 }").warnings
        #expect(
            unset == [
                "api.public_url is not set, so redirect URIs and links use the listen address (http://0.0.0.0:9100); set api.public_url (GATEHOUSE_PUBLIC_URL) to the https:// address browsers and providers reach"
            ])
        let plain = try load("api: { host: 0.0.0.0, public_url: 'http://auth.example.com' }").warnings
        #expect(plain.count == 1 && plain[0].hasPrefix("api.public_url (http://auth.example.com) is plain http off loopback"))
        #expect(try load("api: { host: 0.0.0.0, public_url: 'https://auth.example.com' }").warnings.isEmpty)
        #expect(try load("api: { host: 127.0.0.1, public_url: 'http://localhost:9099' }").warnings.isEmpty)
        #expect(try load("api: { port: 9100 }").warnings.isEmpty)
    }

    /// The scrape token is read as given, and a short one is refused.
    @Test func theMetricsTokenIsReadAndAShortOneRefused() throws {
        let token = String(repeating: "ab", count: 16)
        #expect(try load("metrics: { token: \(token) }").metricsToken == ScrapeToken(token))
        #expect(try load("api: { port: 9100 }").metricsToken == nil)
        let short = try problem("metrics: { token: short }")
        #expect(short.hasPrefix("metrics.token must be at least 32 characters"), "\(short)")
        #expect(!short.contains("short }"))
    }

    /// A verifier behind the same proxy as Gatehouse may be named by its path alone.
    @Test func theVerifierURLIsAnHTTPURLOrAPathOnGatehousesOrigin() throws {
        for url in ["https://app.example.com/verify?x=1", "/verify"] {
            #expect(try load("auth: { user_verification: { verifier_url: '\(url)' } }").verifierURL == url)
        }
    }
}
