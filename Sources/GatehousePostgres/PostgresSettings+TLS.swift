import Foundation
import NIOSSL

// The files TLS reads (`sslrootcert`, `sslcert`, `sslkey`) and the configuration they make.
extension PostgresSettings {
    /// Refuses a file beside a mode that would not use it (`sslrootcert` with a mode that checks
    /// no certificate; `sslcert` and `sslkey` without TLS, or one without the other), and
    /// `verify-ca` without a CA file of its own. libpq would check the chain for `require` when a
    /// root file is given; here the mode says what is checked, so a file that would be read for
    /// nothing is an error rather than a silent difference.
    package func checkTLSFilesMode() throws {
        guard rootCertificates == nil || tls.checksCertificate else {
            throw PostgresSettingsError(
                reason: "sslrootcert is used only with sslmode=verify-ca or verify-full, not sslmode=\(tls.rawValue)")
        }
        // The system's store trusts every public CA, each of which certifies names for anyone:
        // a chain check without the name would take any of them (libpq refuses it too).
        guard tls != .verifyCA || (rootCertificates != nil && rootCertificates != "system") else {
            throw PostgresSettingsError(
                reason: "sslmode=verify-ca needs sslrootcert naming the database's own CA file: against the system's "
                    + "trust store, any public certificate for any name would pass; use sslmode=verify-full")
        }
        guard (clientCertificate == nil) == (clientKey == nil) else {
            throw PostgresSettingsError(reason: "sslcert and sslkey go together: give both or neither")
        }
        guard clientCertificate == nil || tls != .disable else {
            throw PostgresSettingsError(reason: "sslcert and sslkey need TLS, not sslmode=disable")
        }
    }

    /// Reads every file the settings name, so that one that cannot be used stops the start.
    package func checkTLSFiles() throws {
        try checkTLSFilesMode()
        _ = try trustedCertificates()
        _ = try clientIdentity()
    }

    /// The CA certificates `sslrootcert` names: nil for the system's trust store.
    package func trustedCertificates() throws -> [NIOSSLCertificate]? {
        guard let path = rootCertificates, path != "system" else { return nil }
        return try Self.certificates(at: path, named: "sslrootcert")
    }

    /// The certificate chain and private key `sslcert` and `sslkey` name, if they do.
    func clientIdentity() throws -> (chain: [NIOSSLCertificate], key: NIOSSLPrivateKey)? {
        guard let certificatePath = clientCertificate, let keyPath = clientKey else { return nil }
        let chain = try Self.certificates(at: certificatePath, named: "sslcert")
        // Before reading it: a named pipe would hold the start.
        let status = try Self.keyFileStatus(keyPath)
        let key: NIOSSLPrivateKey
        do {
            key = try NIOSSLPrivateKey(file: keyPath, format: .pem)
        } catch {
            throw PostgresSettingsError(
                reason: FileManager.default.isReadableFile(atPath: keyPath)
                    ? "sslkey \(keyPath) is not a PEM private key (an encrypted one is not supported)"
                    : "sslkey \(keyPath) cannot be read")
        }
        try Self.requireKeptPrivate(keyPath, status)
        return (chain, key)
    }

    /// The key file's owner and mode; throws when it is missing or not a regular file (a link
    /// to one counts).
    private static func keyFileStatus(_ path: String) throws -> stat {
        var status = stat()
        guard stat(path, &status) == 0 else { throw PostgresSettingsError(reason: "sslkey \(path) cannot be read") }
        guard status.st_mode & S_IFMT == S_IFREG else {
            throw PostgresSettingsError(reason: "sslkey \(path) is not a regular file")
        }
        return status
    }

    /// libpq's rule for the key file's mode: no access for others, and none for the group either
    /// unless root owns the file (then the group may read it: a group that holds keys, as a
    /// secret mount gives one).
    private static func requireKeptPrivate(_ path: String, _ status: stat) throws {
        let byRoot = status.st_uid == 0
        guard status.st_mode & (byRoot ? 0o037 : 0o077) == 0 else {
            throw PostgresSettingsError(
                reason: byRoot
                    ? "sslkey \(path) has access for others, or more than reading for its group: chmod 640 \(path) (root owns it, so its group may read it)"
                    : "sslkey \(path) has group or world access: chmod 600 \(path) (its owner only)")
        }
    }

    private static func certificates(at path: String, named name: String) throws -> [NIOSSLCertificate] {
        let certificates: [NIOSSLCertificate]
        do {
            certificates = try NIOSSLCertificate.fromPEMFile(path)
        } catch {
            throw PostgresSettingsError(
                reason: FileManager.default.isReadableFile(atPath: path)
                    ? "\(name) \(path) is not a PEM file of certificates" : "\(name) \(path) cannot be read")
        }
        guard !certificates.isEmpty else { throw PostgresSettingsError(reason: "\(name) \(path) holds no PEM certificate") }
        return certificates
    }

    /// The TLS this mode asks for: none, or a client configuration (checking the server's
    /// certificate for `verify-ca`, and its name too for `verify-full`), showing the client's
    /// certificate when one is given.
    func tlsConfiguration() throws -> TLSConfiguration? {
        var configuration = TLSConfiguration.makeClientConfiguration()
        // PostgreSQL has refused anything older by default since version 12.
        configuration.minimumTLSVersion = .tlsv12
        switch tls {
        case .disable:
            return nil
        case .prefer, .require:
            configuration.certificateVerification = .none
        case .verifyCA:
            configuration.certificateVerification = .noHostnameVerification
        case .verifyFull:
            configuration.certificateVerification = .fullVerification
        }
        if tls.checksCertificate, let certificates = try trustedCertificates() {
            configuration.trustRoots = .certificates(certificates)
        }
        if let identity = try clientIdentity() {
            configuration.certificateChain = identity.chain.map { .certificate($0) }
            configuration.privateKey = .privateKey(identity.key)
        }
        return configuration
    }
}
