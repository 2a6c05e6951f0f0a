import Foundation
import GatehousePostgres
import GatehouseTestSupport
import Logging
import PostgresNIO
import Testing

/// A server that asks for a client certificate (`cert` in `pg_hba.conf`): scripts/postgres.sh
/// lets the role gh_cert log in with the certificate beside the test CA, and no other way.
@Suite(.enabled(if: StoreBackend.available.contains(.postgres), "needs GATEHOUSE_TEST_POSTGRES_URL (scripts/test.sh)"))
struct PostgresClientCertificateTests {
    let logger = Logger(label: "test")

    /// gh_cert's settings: verify-full on the test CA, with the client certificate unless told not to.
    func settings(withCertificate: Bool = true) throws -> PostgresSettings {
        let directory = URL(fileURLWithPath: try PostgresTLSTests.testCA).deletingLastPathComponent()
        var settings = try StoreBackend.postgresSettings()
        settings.host = "localhost"
        settings.username = "gh_cert"
        settings.tls = .verifyFull
        settings.rootCertificates = try PostgresTLSTests.testCA
        if withCertificate {
            settings.clientCertificate = directory.appendingPathComponent("client.crt").path
            settings.clientKey = directory.appendingPathComponent("client.key").path
        }
        return settings
    }

    @Test func theClientCertificateLogsIn() async throws {
        let settings = try settings()
        try await PostgresProbe.check(settings, logger: logger, within: .seconds(5))
        let seen = try await StoreBackend.withClient(settings) { client in
            let rows = try await client.query(
                "SELECT current_user::text, client_dn FROM pg_stat_ssl WHERE pid = pg_backend_pid()")
            var seen: [String] = []
            for try await (user, dn) in rows.decode((String, String).self) { seen += [user, dn] }
            return seen
        }
        #expect(seen == ["gh_cert", "/CN=gh_cert"])
    }

    @Test func withoutItTheServersRefusalIsSaidAtOnce() async throws {
        let started = ContinuousClock.now
        let error = await #expect(throws: PostgresSettingsError.self) {
            try await PostgresProbe.check(try settings(withCertificate: false), logger: logger, within: .seconds(10))
        }
        #expect(error?.reason.contains("SQLSTATE 28000") == true, "\(error?.reason ?? "")")
        #expect(ContinuousClock.now - started < .seconds(5), "a permanent refusal is not waited out")
    }

    @Test func filesThatCannotBeUsedAreSaid() throws {
        let good = try settings()
        var missing = good
        missing.clientKey = "/nonexistent/client.key"
        var swapped = good
        swapped.clientKey = good.clientCertificate
        var alone = good
        alone.clientKey = nil
        var directory = good
        directory.clientKey = FileManager.default.temporaryDirectory.path
        var plain = good
        plain.tls = .disable
        plain.rootCertificates = nil
        let cases = [
            (missing, "sslkey /nonexistent/client.key cannot be read"),
            (swapped, "sslkey \(good.clientCertificate ?? "") is not a PEM private key (an encrypted one is not supported)"),
            (alone, "sslcert and sslkey go together: give both or neither"),
            (directory, "sslkey \(FileManager.default.temporaryDirectory.path) is not a regular file"),
            (plain, "sslcert and sslkey need TLS, not sslmode=disable"),
        ]
        for (settings, says) in cases {
            let error = #expect(throws: PostgresSettingsError.self) { try settings.checkTLSFiles() }
            #expect(error?.reason == says)
        }
        try good.checkTLSFiles()
    }

    /// libpq's rule: a key others may read is refused; root's may be read by its group.
    @Test func aKeyOthersMayReadIsRefused() throws {
        let good = try settings()
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("gh-key-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let copy = directory.appendingPathComponent("client.key").path
        try FileManager.default.copyItem(atPath: try #require(good.clientKey), toPath: copy)
        var settings = good
        settings.clientKey = copy
        let root = getuid() == 0
        for (mode, owner, allowed) in [
            (0o600, getuid(), true), (0o400, getuid(), true), (0o644, getuid(), false), (0o604, getuid(), false),
            (0o640, getuid(), root), (0o660, getuid(), false), (0o610, getuid(), false),
            // As root, the same file owned by someone else follows the owner's rule.
        ] + (root ? [(0o640, uid_t(65534), false), (0o600, uid_t(65534), true)] : []) {
            #expect(chmod(copy, mode_t(mode)) == 0 && chown(copy, owner, getgid()) == 0)
            if allowed {
                try settings.checkTLSFiles()
            } else {
                let error = #expect(throws: PostgresSettingsError.self) { try settings.checkTLSFiles() }
                let says =
                    owner == 0
                    ? "has access for others, or more than reading for its group: chmod 640 \(copy) (root owns it, so its group may read it)"
                    : "has group or world access: chmod 600 \(copy) (its owner only)"
                #expect(error?.reason == "sslkey \(copy) \(says)", "mode \(String(mode, radix: 8))")
            }
        }
    }

    @Test func aURLCarriesThem() throws {
        let settings = try PostgresSettings(
            url: "postgres://gh@db/gh?sslmode=verify-full&sslcert=/etc/gh/client.crt&sslkey=/etc/gh/client.key")
        #expect(settings.clientCertificate == "/etc/gh/client.crt" && settings.clientKey == "/etc/gh/client.key")
        #expect(settings.redacted.hasSuffix("?sslmode=verify-full&sslcert=/etc/gh/client.crt&sslkey=/etc/gh/client.key"))
        let error = #expect(throws: PostgresSettingsError.self) {
            try PostgresSettings(url: "postgres://gh@db/gh?sslmode=require&sslcert=/etc/gh/client.crt")
        }
        #expect(error?.reason == "sslcert and sslkey go together: give both or neither")
    }
}
