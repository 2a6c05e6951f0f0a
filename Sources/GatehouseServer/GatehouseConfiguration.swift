import Foundation
import GatehouseCore
import GatehouseOIDC
import GatehousePostgres
import GatehouseWire
import Logging

/// Everything `serve` needs, read and validated once at start.
package struct GatehouseConfiguration: Sendable {
    /// Where to listen.
    package var host: String
    /// The port.
    package var port: Int
    /// The base URL browsers reach Gatehouse at; defaults to `http://host:port`.
    package var publicURL: String?
    /// The data directory (SQLite file, root key file).
    package var dataDirectory: String
    /// Whether `dataDirectory` is the directory `storage.sqlite.path` names (no data directory
    /// was): its mode is left as it is (`DataFilePermissions.secureDirectory`).
    package var dataDirectoryFromDatabasePath = false
    /// The SQLite file; defaults to `gatehouse.sqlite` in the data directory.
    package var sqlitePath: String?
    /// The PostgreSQL server (`storage.postgres`, `GATEHOUSE_DATABASE_URL`); SQLite when nil.
    package var postgres: PostgresSettings?
    /// How long `serve` lets PostgreSQL's migrations run at its start
    /// (`storage.postgres.migration_timeout`); `gatehouse migrate` waits for as long as they take.
    package var migrationLimit: Duration = .seconds(300)
    /// Root keys from the config file; when empty, a key file in the data directory is used.
    package var rootKeys: [RootKeyEntry]
    /// Providers from the config file.
    package var providers: [AuthProviderRequest]
    /// The ids of the providers the config file lists.
    package var providerIDs: Set<String> { Set(providers.compactMap(\.id)) }
    /// The verifier URL from the config file.
    package var verifierURL: String?
    /// Whether the config file names the unsafe skip.
    package var unsafeSkipVerification: Bool
    /// The app's OpenID Provider (`auth.user_verification.oidc`), when user verification goes through it.
    package var oidc: OIDCSettings?
    /// What Prometheus may scrape `/metrics` with instead of an admin key (`metrics.token`).
    package var metricsToken: ScrapeToken?
    /// Whether a config file was given at all.
    package var hasConfigFile: Bool
    /// Extra allowed redirect origins.
    package var allowedRedirectOrigins: [String]
    /// Flow lifetime in seconds.
    package var flowTTL: Double
    /// Refresh skew in seconds.
    package var refreshSkew: Double
    /// How long a replica may hold a connection's refresh lease (`auth.refresh_lease`): a
    /// replica that dies mid-refresh delays that connection's next refresh by at most this.
    package var refreshLease: Double = 30
    /// The background refresh sweep (`auth.refresh_sweep`).
    package var refreshSweep = RefreshSweepSettings()
    /// How a failed revocation of a deleted connection's grant is tried again
    /// (`auth.revocation_retry`).
    package var revocationRetry = RevocationRetrySettings()

    /// How a failed revocation is tried again.
    package struct RevocationRetrySettings: Sendable, Equatable {
        /// The first wait after a failure, doubling with each failure up to an hour; also how
        /// often due revocations are looked for.
        package var interval: Double = 60
        /// How long after the delete the tries stop.
        package var giveUpAfter: Double = 3 * 86_400

        /// The defaults.
        package init() {}
    }

    /// When the sweep runs and what it refreshes.
    package struct RefreshSweepSettings: Sendable, Equatable {
        /// Whether it runs at all.
        package var enabled = true
        /// How often.
        package var interval: Duration = .seconds(300)
        /// Tokens expiring within this are refreshed ahead of a read; 0 (the default) leaves
        /// them to refresh on read, which costs the provider nothing for connections nobody uses.
        package var window: Double = 0
        /// Connections untouched this long get a refresh, so an idle refresh token is not revoked.
        package var idleAge: Double = 30 * 86_400

        /// The defaults.
        package init() {}
    }
    /// Lifetime assumed for a refreshable grant when the provider gives no expiry and its
    /// template names none (`auth.default_token_lifetime`, 30 minutes): refreshed at 25 minutes
    /// (the skew), before a token of the common 30-minute lifetime runs out. A token that cannot
    /// be refreshed is taken as long-lived.
    package var defaultTokenLifetime: Double
    /// How log lines are written (`log.format`): logfmt text, or JSON.
    package var logFormat: LineLogHandler.Format = .text
    /// The lowest level logged (`log.level`); every request is one line at `info`.
    package var logLevel: Logger.Level = .info
    /// Restricted networks (loopback, private, link-local) provider calls may reach; nil means
    /// the default: loopback for the no-config quick start, nothing otherwise.
    package var allowedProviderNetworks: [IPNetwork]?
    /// Fixed name-to-address answers used before DNS (`security.static_hosts`).
    package var staticHosts: [String: [IPAddress]]
    /// Request sizes, timeouts, connection and per-key caps (`api.*`).
    package var limits: RequestLimits = RequestLimits()
    /// How long a stop waits, readiness answering 503 and requests still served, before the
    /// listener closes (`api.shutdown_delay`).
    package var shutdownDelay: Duration = .zero
    /// What the operator should know about the file (sections read but not used).
    package var warnings: [String] = []

    /// One configured root key.
    package struct RootKeyEntry: Sendable, Equatable {
        /// Its id.
        package var id: String
        /// Base64 of 32 bytes.
        package var value: String
        /// Whether it encrypts new data.
        package var isDefault: Bool

        /// Creates an entry.
        package init(id: String, value: String, isDefault: Bool) {
            self.id = id
            self.value = value
            self.isDefault = isDefault
        }
    }

    /// The no-config defaults: loopback, port 9099, `./.gatehouse`.
    package init(
        host: String = "127.0.0.1", port: Int = 9099, publicURL: String? = nil,
        dataDirectory: String = ".gatehouse", sqlitePath: String? = nil, rootKeys: [RootKeyEntry] = [],
        providers: [AuthProviderRequest] = [], verifierURL: String? = nil, unsafeSkipVerification: Bool = false,
        hasConfigFile: Bool = false, allowedRedirectOrigins: [String] = [], flowTTL: Double = 900,
        refreshSkew: Double = 300, defaultTokenLifetime: Double = TemplateProviderClient.standardDefaultLifetime,
        allowedProviderNetworks: [IPNetwork]? = nil,
        staticHosts: [String: [IPAddress]] = [:]
    ) {
        self.host = host
        self.port = port
        self.publicURL = publicURL
        self.dataDirectory = dataDirectory
        self.sqlitePath = sqlitePath
        self.rootKeys = rootKeys
        self.providers = providers
        self.verifierURL = verifierURL
        self.unsafeSkipVerification = unsafeSkipVerification
        self.hasConfigFile = hasConfigFile
        self.allowedRedirectOrigins = allowedRedirectOrigins
        self.flowTTL = flowTTL
        self.refreshSkew = refreshSkew
        self.defaultTokenLifetime = defaultTokenLifetime
        self.allowedProviderNetworks = allowedProviderNetworks
        self.staticHosts = staticHosts
    }

    /// Whether the listen address is loopback only (a literal loopback address or `localhost`).
    package var isLoopback: Bool {
        ProviderNetworkPolicy.isLiteralLoopback(host: host)
    }

    /// Whether browsers reach Gatehouse on loopback: the public URL's host is literal loopback.
    package var isPublicURLLoopback: Bool {
        guard let host = URLComponents(string: effectivePublicURL)?.host else { return false }
        return ProviderNetworkPolicy.isLiteralLoopback(host: host)
    }

    /// The network policy for provider calls.
    package var providerNetworkPolicy: ProviderNetworkPolicy {
        ProviderNetworkPolicy(allowed: allowedProviderNetworks ?? (hasConfigFile ? [] : ProviderNetworkPolicy.loopback))
    }

    /// The effective public URL.
    package var effectivePublicURL: String {
        publicURL ?? "http://\(host.contains(":") ? "[\(host)]" : host):\(port)"
    }

    /// The verification policy: skipping is the default only for the no-config quick start on
    /// loopback; anywhere else the operator must configure a verifier or name the unsafe setting.
    package func verificationPolicy() throws -> (default: VerificationSetting, skipAllowed: Bool, warning: String?) {
        // Skipping is safe only when nobody but this machine can reach a flow's callback.
        let loopbackAllTheWay = isLoopback && isPublicURLLoopback
        if oidc != nil {
            guard verifierURL == nil, !unsafeSkipVerification else {
                throw ConfigurationError(
                    description:
                        "auth.user_verification: oidc cannot be combined with verifier_url or unsafe_skip_verification; choose one"
                )
            }
            return (VerificationSetting(verifierURL: nil, unsafeSkip: false), false, nil)
        }
        if unsafeSkipVerification, !loopbackAllTheWay {
            throw ConfigurationError(
                description:
                    "auth.user_verification.unsafe_skip_verification is allowed only when both the listener (\(host)) and the public URL (\(effectivePublicURL)) are loopback; set auth.user_verification.verifier_url instead"
            )
        }
        if let verifierURL {
            return (VerificationSetting(verifierURL: verifierURL, unsafeSkip: false), unsafeSkipVerification, nil)
        }
        if unsafeSkipVerification {
            return (
                VerificationSetting(verifierURL: nil, unsafeSkip: true), true,
                "auth.user_verification.unsafe_skip_verification is on: anyone who opens an authorization link can attach their account to the user who asked for it. Use it for development only."
            )
        }
        if !hasConfigFile, loopbackAllTheWay {
            return (
                VerificationSetting(verifierURL: nil, unsafeSkip: true), true,
                "user verification is skipped (quick start on loopback, no config file). Configure auth.user_verification.verifier_url before serving real users."
            )
        }
        if !hasConfigFile {
            throw ConfigurationError(
                description:
                    "user verification can be skipped only when both the listener (\(host)) and the public URL (\(effectivePublicURL)) are loopback: serve on 127.0.0.1 with a loopback public URL, or give a config file that sets auth.user_verification.verifier_url (your app's verifier route) or auth.user_verification.oidc (your app's OpenID Provider)"
            )
        }
        throw ConfigurationError(
            description:
                "auth.user_verification: set verifier_url (your app's verifier route) or oidc (your app's OpenID Provider), or unsafe_skip_verification: true for development"
        )
    }
}

// Printed by its id only: the value is the root key.
extension GatehouseConfiguration.RootKeyEntry: CustomStringConvertible, CustomDebugStringConvertible {
    /// The id and whether it is the default; the value redacted.
    package var description: String { "RootKeyEntry(id: \(id), default: \(isDefault), <redacted>)" }
    /// As `description`.
    package var debugDescription: String { description }
}
