import GatehouseWire
import Testing

@testable import GatehouseCore

@Suite struct IssuerCheckTests {
    static func template(issuer: String? = nil) -> OAuth2Config {
        OAuth2Config(
            authorizeRequest: RequestConfig(endpoint: "https://login.example.com/oauth/authorize"),
            tokenRequest: RequestConfig(endpoint: "https://api.example.com:443/token"), issuer: issuer)
    }

    @Test(arguments: [
        (nil, true), ("https://login.example.com", true), ("https://LOGIN.example.com/tenant/v2", true),
        ("https://api.example.com", true), ("https://login.example.com:443", true),
        ("https://attacker.example", false), ("http://login.example.com", false), ("https://login.example.com:8443", false),
        ("login.example.com", false), ("", false),
    ])
    func withoutAnIssuerAnIssMustBeOnAnEndpointsOrigin(iss: String?, accepted: Bool) {
        #expect((IssuerCheck.problem(iss: iss, template: Self.template()) == nil) == accepted)
    }

    @Test(arguments: [
        (nil, false), ("https://login.example.com/tenant", true), ("https://login.example.com/tenant/", false),
        ("https://login.example.com", false), ("https://LOGIN.example.com/tenant", false),
    ])
    func withAnIssuerTheIssMustBeExactlyIt(iss: String?, accepted: Bool) {
        let template = Self.template(issuer: "https://login.example.com/tenant")
        #expect((IssuerCheck.problem(iss: iss, template: template) == nil) == accepted)
    }

    @Test func theReasonShowsOnlyURLCharacters() throws {
        let problem = try #require(IssuerCheck.problem(iss: "https://x.example/\n<script>", template: Self.template()))
        #expect(!problem.contains("\n") && !problem.contains("<"))
    }
}
