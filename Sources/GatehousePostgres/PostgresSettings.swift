import Foundation
import NIOSSL
import PostgresNIO

/// Where the PostgreSQL store connects: from `storage.postgres` or a `postgres://` URL
/// (`GATEHOUSE_DATABASE_URL`).
package struct PostgresSettings: Sendable, Equatable {
    /// How the connection uses TLS.
    package enum TLSMode: String, Sendable, CaseIterable {
        /// Plain TCP.
        case disable
        /// TLS when the server offers it, without checking its certificate.
        case prefer
        /// TLS always, without checking the certificate.
        case require
        /// TLS always, with the certificate checked against the trusted CAs, not the host name.
        case verifyCA = "verify-ca"
        /// TLS always, with the certificate checked against the trusted CAs and the host name.
        case verifyFull = "verify-full"

        /// Whether the server's certificate is checked (and `sslrootcert` used).
        package var checksCertificate: Bool { self == .verifyCA || self == .verifyFull }

        /// The modes, as a sentence lists them.
        package static let listed = allCases.map(\.rawValue).joined(separator: ", ")
    }

    /// The server's host name or address.
    package var host: String
    /// Its port (5432 unless given).
    package var port: Int
    /// The role to connect as.
    package var username: String
    /// Its password, if the server asks for one.
    package var password: String?
    /// The database; nil: the server's default (the user's name).
    package var database: String?
    /// `sslmode`: whether the connection is encrypted, and whether its certificate is checked.
    package var tls: TLSMode
    /// `sslrootcert`: a PEM file of the CA certificates a checked certificate must come from;
    /// nil or `system`: the system's trust store. Only with `verify-ca` and `verify-full`.
    package var rootCertificates: String?
    /// `sslcert` and `sslkey`: PEM files of the certificate (and its chain) this client shows,
    /// and its private key, for a server that asks for one (`cert` in `pg_hba.conf`).
    package var clientCertificate: String?
    /// `sslkey`: see `clientCertificate`.
    package var clientKey: String?
    /// The most connections this replica opens.
    package var poolSize: Int
    /// The pool sizes a replica can run with. The jobs (the flow janitor, the refresh sweep, the
    /// revocation job) each hold a connection for their lock while their statements take others:
    /// below 4, they could leave requests none, and with 1 no server could start.
    package static let poolSizes = 4...1000
    /// The pool's size when none is given.
    package static let defaultPoolSize = 20

    /// Settings from the parts.
    package init(
        host: String, port: Int = 5432, username: String, password: String? = nil, database: String? = nil,
        tls: TLSMode = .prefer, poolSize: Int = defaultPoolSize
    ) {
        self.host = host
        self.port = port
        self.username = username
        self.password = password
        self.database = database
        self.tls = tls
        self.poolSize = poolSize
    }

    /// Settings from `postgres://user:password@host:port/database?sslmode=...&sslrootcert=...&pool_size=...`.
    package init(url text: String) throws {
        guard let url = URLComponents(string: text), ["postgres", "postgresql"].contains(url.scheme ?? ""),
            let host = url.host, !host.isEmpty, let user = url.user, !user.isEmpty
        else {
            throw PostgresSettingsError(
                reason: "must look like postgres://user:password@host:5432/database (the password and database are optional)")
        }
        var settings = PostgresSettings(
            host: host, port: url.port ?? 5432, username: user.removingPercentEncoding ?? user,
            password: url.password.map { $0.removingPercentEncoding ?? $0 },
            database: url.path.isEmpty || url.path == "/" ? nil : String(url.path.dropFirst()))
        for item in url.queryItems ?? [] {
            switch item.name {
            case "sslmode":
                guard let mode = TLSMode(rawValue: item.value ?? "") else {
                    throw PostgresSettingsError(reason: "sslmode must be one of \(TLSMode.listed)")
                }
                settings.tls = mode
            case "sslrootcert":
                guard let path = item.value, !path.isEmpty else {
                    throw PostgresSettingsError(reason: "sslrootcert must name a PEM file of CA certificates, or system")
                }
                settings.rootCertificates = path
            case "sslcert", "sslkey":
                guard let path = item.value, !path.isEmpty else {
                    throw PostgresSettingsError(reason: "\(item.name) must name a PEM file")
                }
                if item.name == "sslcert" { settings.clientCertificate = path } else { settings.clientKey = path }
            case "pool_size":
                guard let size = Int(item.value ?? ""), Self.poolSizes.contains(size) else {
                    throw PostgresSettingsError(
                        reason: "pool_size must be from \(Self.poolSizes.lowerBound) to \(Self.poolSizes.upperBound)")
                }
                settings.poolSize = size
            default:
                throw PostgresSettingsError(
                    reason: "unknown parameter '\(item.name)' (known: sslmode, sslrootcert, sslcert, sslkey, pool_size)")
            }
        }
        try settings.checkTLSFilesMode()
        self = settings
    }

    /// The settings in a URL with the password hidden, for messages and logs.
    package var redacted: String {
        "postgres://\(username)\(password == nil ? "" : ":***")@\(host):\(port)/\(database ?? "")?sslmode=\(tls.rawValue)"
            + (rootCertificates.map { "&sslrootcert=\($0)" } ?? "") + (clientCertificate.map { "&sslcert=\($0)" } ?? "")
            + (clientKey.map { "&sslkey=\($0)" } ?? "")
    }

    /// PostgresNIO's client (pool) configuration.
    package func clientConfiguration() throws -> PostgresClient.Configuration {
        let mode: PostgresClient.Configuration.TLS =
            switch (tls, try tlsConfiguration()) {
            case (_, nil): .disable
            case (.prefer, let configuration?): .prefer(configuration)
            case (_, let configuration?): .require(configuration)
            }
        var configuration = PostgresClient.Configuration(
            host: host, port: port, username: username, password: password, database: database, tls: mode)
        configuration.options.maximumConnections = poolSize
        // One kept: a pool whose connections were all closed (`PooledConnections` breaking a
        // stall) opens another at once rather than at its next backoff try.
        configuration.options.minimumConnections = 1
        // The pool's keep-alive `SELECT 1` has no time limit: on a connection the database left
        // without a word it would hold that connection's place for as long as the operating
        // system waits (about 15 minutes). Idle connections are closed after a minute anyway.
        configuration.options.keepAliveBehavior = nil
        configuration.options.additionalStartupParameters = Self.sessionParameters
        return configuration
    }

    /// Set on every session: the stores' statements are written for READ COMMITTED (a row
    /// locked by another transaction is read again once it commits), whatever the database's
    /// `default_transaction_isolation`; under REPEATABLE READ ordinary races would fail with
    /// serialization errors.
    static let sessionParameters = [("default_transaction_isolation", "read committed")]

    /// PostgresNIO's configuration for one connection of its own, outside the pool.
    package func connectionConfiguration() throws -> PostgresConnection.Configuration {
        let mode: PostgresConnection.Configuration.TLS =
            switch (tls, try tlsConfiguration()) {
            case (_, nil): .disable
            case (.prefer, let configuration?): .prefer(try NIOSSLContext(configuration: configuration))
            case (_, let configuration?): .require(try NIOSSLContext(configuration: configuration))
            }
        var configuration = PostgresConnection.Configuration(
            host: host, port: port, username: username, password: password, database: database, tls: mode)
        configuration.options.additionalStartupParameters = Self.sessionParameters
        return configuration
    }
}

/// A PostgreSQL setting that cannot be used.
package struct PostgresSettingsError: Error, CustomStringConvertible {
    /// What is wrong.
    package let reason: String
    /// A one-line description.
    package var description: String { reason }

    /// Creates the error.
    package init(reason: String) {
        self.reason = reason
    }
}

// Printed as the redacted URL: never the password.
extension PostgresSettings: CustomStringConvertible, CustomDebugStringConvertible {
    /// `redacted`.
    package var description: String { redacted }
    /// `redacted`.
    package var debugDescription: String { redacted }
}
