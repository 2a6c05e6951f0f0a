import GatehouseCore
import GatehouseOIDC
import GatehouseTestSupport
import Logging
import Testing

@testable import GatehouseServer

/// The start-up read of the app's OpenID Provider: what the log says when it works and when not.
@Suite struct OIDCStartupCheckTests {
    func checked(_ op: FakeOpenIDProvider, issuer: String = FakeOpenIDProvider.issuer) async -> [String] {
        let transport = ScriptedTransport()
        op.serve(on: transport)
        let verifier = OIDCVerifier(
            settings: OIDCSettings(
                issuer: issuer, clientID: FakeOpenIDProvider.clientID, clientSecret: FakeOpenIDProvider.clientSecret),
            redirectURI: "https://gatehouse.example/v1/oauth/user_verification", transport: transport)
        let output = LineOutput.capture()
        let logger = Logger(label: "test") { LineLogHandler(label: $0, format: .text, output: output) }
        await OIDCStartupCheck(verifier: verifier, issuer: issuer, logger: logger).check()
        return output.lines
    }

    @Test func aWorkingProviderIsNamedAtInfo() async throws {
        let op = FakeOpenIDProvider()
        try await op.addKey(kid: "k1")
        let lines = await checked(op)
        #expect(lines.count == 1)
        #expect(
            lines.contains { $0.contains("level=info") && $0.contains("discovery and keys read") && $0.contains("idp.example") })
    }

    @Test func aKeySetWithoutAUsableKeyIsAnErrorThatSaysSo() async throws {
        let op = FakeOpenIDProvider()
        try await op.addKey(kid: "k1", publish: false)
        let lines = await checked(op)
        #expect(
            lines.contains {
                $0.contains("level=error") && $0.contains("cannot be used yet") && $0.contains("no usable signing key")
            }, "\(lines)")
    }

    @Test func anIssuerWithoutDiscoveryIsAnErrorThatNamesTheURL() async throws {
        let op = FakeOpenIDProvider()
        try await op.addKey(kid: "k1")
        let lines = await checked(op, issuer: "https://idp.example/tenant")
        #expect(
            lines.contains {
                $0.contains("level=error") && $0.contains("https://idp.example/tenant/.well-known/openid-configuration")
            }, "\(lines)")
    }
}
