import GatehouseCore
import GatehousePostgres

// `storage.postgres`: a URL (or `GATEHOUSE_DATABASE_URL`), or the parts.
extension ConfigurationLoader {
    /// The parts of `storage.postgres` that a URL holds itself.
    static let postgresParts = [
        "host", "port", "user", "password", "database", "db", "sslmode", "sslrootcert", "sslcert", "sslkey", "pool_size",
    ]

    /// `storage.postgres.migration_timeout`: how long a start lets the migrations run.
    static func readMigrationLimit(_ settings: SettingsReader) throws -> Duration? {
        try settings.string("storage.postgres.migration_timeout").map {
            try duration($0, "storage.postgres.migration_timeout", min: 1, max: 86_400)
        }
    }

    static func readPostgres(_ settings: SettingsReader, configured: Bool) throws -> PostgresSettings? {
        if let url = settings.string("storage.postgres.url") {
            // Both would leave one of them unused without a word: a file's `sslmode: verify-full`
            // under a URL from the environment would connect without checking the certificate.
            let parts = postgresParts.filter { settings.string("storage.postgres.\($0)") != nil }
            guard parts.isEmpty else {
                throw ConfigurationError(
                    description: "\(settings.described("storage.postgres.url")) is set, and so is "
                        + parts.map { "storage.postgres.\($0)" }.joined(separator: ", ")
                        + ": give the URL or the parts, not both (a URL takes sslmode, sslrootcert, sslcert, sslkey and pool_size in its query, "
                        + "as in postgres://user@host/database?sslmode=verify-full&pool_size=20)")
            }
            do {
                let postgres = try PostgresSettings(url: url)
                try postgres.checkTLSFiles()
                return postgres
            } catch let error as PostgresSettingsError {
                throw ConfigurationError(description: "\(settings.described("storage.postgres.url")) \(error.reason)")
            }
        }
        guard configured else { return nil }
        guard let host = settings.string("storage.postgres.host"), let user = settings.string("storage.postgres.user") else {
            throw ConfigurationError(
                description: "storage.postgres needs url, or host and user (port, password, database optional)")
        }
        var postgres = PostgresSettings(
            host: host, port: try settings.integer("storage.postgres.port") ?? 5432, username: user,
            password: settings.string("storage.postgres.password"),
            database: settings.string("storage.postgres.database") ?? settings.string("storage.postgres.db"))
        if let mode = settings.string("storage.postgres.sslmode") {
            guard let tls = PostgresSettings.TLSMode(rawValue: mode) else {
                throw ConfigurationError(
                    description: "storage.postgres.sslmode must be one of \(PostgresSettings.TLSMode.listed)")
            }
            postgres.tls = tls
        }
        postgres.rootCertificates = settings.string("storage.postgres.sslrootcert")
        postgres.clientCertificate = settings.string("storage.postgres.sslcert")
        postgres.clientKey = settings.string("storage.postgres.sslkey")
        do {
            try postgres.checkTLSFiles()
        } catch let error as PostgresSettingsError {
            throw ConfigurationError(description: "storage.postgres: \(error.reason)")
        }
        if let size = settings.string("storage.postgres.pool_size") {
            postgres.poolSize = try bounded(size, "storage.postgres.pool_size", PostgresSettings.poolSizes)
        }
        return postgres
    }

    /// What the start says of a database off this host reached without a certificate check:
    /// anyone on the path could pose as it and read what Gatehouse sends (the password, and every
    /// sealed token and key hash it writes).
    static func postgresWarning(_ postgres: PostgresSettings) -> String? {
        guard !postgres.tls.checksCertificate, !ProviderNetworkPolicy.isLiteralLoopback(host: postgres.host) else {
            return nil
        }
        let what =
            postgres.tls == .disable
            ? "sends everything to \(postgres.host) unencrypted"
            : "encrypts the connection to \(postgres.host) but checks no certificate, so anyone on the network path can pose as the database"
        return
            "storage.postgres: sslmode=\(postgres.tls.rawValue) \(what); across a network you do not own, use sslmode=verify-full (with sslrootcert for a database with its own CA)"
    }
}
