import Foundation
import GatehousePostgres
import GatehouseTestSupport
import Logging
import PostgresNIO
import Testing

/// TLS to a real PostgreSQL (scripts/postgres.sh gives the test server a certificate for
/// localhost from a CA of its own): each mode encrypts or not as it says, and the checking modes
/// refuse a certificate from another CA, or for another name, at once and saying so.
@Suite(.enabled(if: StoreBackend.available.contains(.postgres), "needs GATEHOUSE_TEST_POSTGRES_URL (scripts/test.sh)"))
struct PostgresTLSTests {
    let logger = Logger(label: "test")

    /// The test server's CA certificate.
    static var testCA: String {
        get throws {
            guard let path = ProcessInfo.processInfo.environment["GATEHOUSE_TEST_POSTGRES_CA"] else {
                throw PostgresSettingsError(reason: "GATEHOUSE_TEST_POSTGRES_CA is not set: scripts/postgres.sh sets it")
            }
            return path
        }
    }

    /// The test server by the name its certificate holds, unless told another.
    func settings(_ mode: PostgresSettings.TLSMode, trusting roots: String?, host: String = "localhost") throws
        -> PostgresSettings
    {
        var settings = try StoreBackend.postgresSettings()
        settings.tls = mode
        settings.rootCertificates = roots
        settings.host = host
        return settings
    }

    /// Whether the session the pool hands out is encrypted, as the server sees it.
    func encrypted(_ settings: PostgresSettings) async throws -> Bool {
        try await StoreBackend.withClient(settings) { client in
            let rows = try await client.query("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()")
            var answers: [Bool] = []
            for try await ssl in rows.decode(Bool.self) { answers.append(ssl) }
            #expect(answers.count == 1, "one row for this session")
            return answers == [true]
        }
    }

    @Test(arguments: [
        (PostgresSettings.TLSMode.disable, false), (.prefer, true), (.require, true), (.verifyCA, true),
        (.verifyFull, true),
    ])
    func eachModeEncryptsAsItSays(mode: PostgresSettings.TLSMode, encrypts: Bool) async throws {
        let settings = try settings(mode, trusting: mode.checksCertificate ? Self.testCA : nil)
        let answer = try await encrypted(settings)
        #expect(answer == encrypts)
        try await PostgresProbe.check(settings, logger: logger, within: .seconds(5))
    }

    @Test(arguments: [PostgresSettings.TLSMode.verifyFull, .verifyCA])
    func aCertificateFromACANotTrustedIsRefused(mode: PostgresSettings.TLSMode) async throws {
        // The system's trust store (verify-full only: verify-ca refuses it), and another CA in
        // sslrootcert: neither holds the test CA.
        let other = URL(fileURLWithPath: try Self.testCA).deletingLastPathComponent().appendingPathComponent("other-ca.crt").path
        let choices: [String?] = mode == .verifyCA ? [other] : [nil, other]
        for roots in choices {
            let settings = try settings(mode, trusting: roots)
            let started = ContinuousClock.now
            let error = await #expect(throws: PostgresSettingsError.self) {
                try await PostgresProbe.check(settings, logger: logger, within: .seconds(10))
            }
            let reason = error?.reason ?? ""
            #expect(reason.contains("certificate") && reason.contains("not signed by a CA"), "\(reason)")
            #expect(reason.contains(roots ?? "the system's trust store"), "\(reason)")
            #expect(ContinuousClock.now - started < .seconds(5), "a certificate refused is not waited out")
        }
    }

    @Test func verifyFullRefusesACertificateForAnotherNameWhichVerifyCATakes() async throws {
        // The certificate names localhost only; 127.0.0.1 reaches the same server.
        let full = try settings(.verifyFull, trusting: Self.testCA, host: "127.0.0.1")
        let error = await #expect(throws: PostgresSettingsError.self) {
            try await PostgresProbe.check(full, logger: logger, within: .seconds(10))
        }
        #expect(error?.reason.hasPrefix("the server's certificate does not name 127.0.0.1") == true, "\(error?.reason ?? "")")
        let ca = try settings(.verifyCA, trusting: Self.testCA, host: "127.0.0.1")
        try await PostgresProbe.check(ca, logger: logger, within: .seconds(5))
        #expect(try await encrypted(ca))
    }

    @Test func aURLCarriesTheRootCertificates() throws {
        let settings = try PostgresSettings(url: "postgres://gh@db/gh?sslmode=verify-ca&sslrootcert=%2Fetc%2Fdb%20ca.pem")
        #expect(settings.tls == .verifyCA)
        #expect(settings.rootCertificates == "/etc/db ca.pem")
        #expect(settings.redacted == "postgres://gh@db:5432/gh?sslmode=verify-ca&sslrootcert=/etc/db ca.pem")
        let plain = try PostgresSettings(url: "postgres://gh@db/gh?sslrootcert=/etc/db/ca.pem&sslmode=verify-full")
        #expect(plain.rootCertificates == "/etc/db/ca.pem")
        let error = #expect(throws: PostgresSettingsError.self) {
            try PostgresSettings(url: "postgres://gh@db/gh?sslmode=require&sslrootcert=/etc/ca.pem")
        }
        #expect(error?.reason == "sslrootcert is used only with sslmode=verify-ca or verify-full, not sslmode=require")
    }

    @Test func rootCertificatesThatCannotBeUsedAreSaid() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("gh-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let notPEM = directory.appendingPathComponent("not.pem")
        try Data("not a certificate\n".utf8).write(to: notPEM)
        let missing = directory.appendingPathComponent("missing.pem").path
        for (path, says) in [(missing, "cannot be read"), (notPEM.path, "is not a PEM file of certificates")] {
            let settings = try settings(.verifyFull, trusting: path)
            let error = #expect(throws: PostgresSettingsError.self) { try settings.trustedCertificates() }
            #expect(error?.reason == "sslrootcert \(path) \(says)")
        }
    }
}
