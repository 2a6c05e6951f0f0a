import Foundation
import GatehouseCore
import GatehousePostgres
import GatehouseWire
import Testing

/// Types that hold a secret print without it, however a log line or a message interpolates them.
@Suite struct RedactedDescriptionTests {
    func printings(_ value: some Any) -> [String] {
        ["\(value)", String(reflecting: value), "\([value])"]
    }

    @Test func aProviderPrintsWithoutItsClientSecret() {
        let provider = Provider(
            id: "p", description: "d", providerType: "", enabled: true, source: .api, oauth2: OAuth2Config(clientID: "c"),
            clientSecret: "client-s3cret", createdAt: Date(), updatedAt: Date())
        for printed in printings(provider) {
            #expect(!printed.contains("s3cret") && printed.contains("client secret: <redacted>"), "\(printed)")
        }
    }

    @Test func aRootKeyPrintsItsIDOnly() throws {
        let key = try RootKey(id: "k1", bytes: Array(repeating: 7, count: 32))
        for printed in printings(key) {
            #expect(printed.contains("RootKey(id: k1, <redacted>)") && !printed.contains("material"), "\(printed)")
        }
    }

    @Test func aProviderDefinitionPrintsWithoutItsClientSecrets() {
        let request = AuthProviderRequest(
            id: "p", clientSecret: "top-s3cret", oauth2: OAuth2Config(clientID: "c", clientSecret: "inner-s3cret"))
        for printed in printings(request) + printings(request.oauth2) {
            #expect(!printed.contains("s3cret") && printed.contains(#""client_secret":"<redacted>""#), "\(printed)")
        }
    }

    @Test func postgresSettingsPrintWithoutThePassword() throws {
        let settings = try PostgresSettings(url: "postgres://gh:S3cr3t@db:5432/gh")
        for printed in printings(settings) {
            #expect(!printed.contains("S3cr3t") && printed.contains("postgres://gh:***@db:5432/gh"), "\(printed)")
        }
    }
}
