import Foundation
import GatehouseTestSupport
import GatehouseWire
import Testing

@testable import GatehouseCore

/// Endpoints filled from the connection (`{{user_info.instance_url}}/...`): the calls go where
/// the connection says only when the template's `connection_hosts` allow it.
@Suite struct ConnectionEndpointTests {
    static func provider(hosts: [String]? = ["*.my.salesforce.com"]) -> Provider {
        Provider(
            id: "sf", description: nil, providerType: "", enabled: true, source: .api,
            oauth2: OAuth2Config(
                clientID: "cid",
                authorizeRequest: RequestConfig(endpoint: "https://login.salesforce.com/services/oauth2/authorize"),
                tokenRequest: RequestConfig(
                    endpoint: "https://login.salesforce.com/services/oauth2/token", authMethod: "client_secret_post",
                    responseMap: ["access_token": "$.access_token", "user_info.instance_url": "$.instance_url"]),
                refreshRequest: RequestConfig(
                    endpoint: "{{user_info.instance_url}}/services/oauth2/token", authMethod: "client_secret_post"),
                userInfoRequest: RequestConfig(endpoint: "{{user_info.instance_url}}/services/oauth2/userinfo/{{user_info.org}}"),
                connectionHosts: hosts),
            clientSecret: "s3cret", createdAt: Date(), updatedAt: Date())
    }

    let transport = ScriptedTransport()
    var client: TemplateProviderClient { TemplateProviderClient(transport: transport) }
    let stale = TokenSet(
        accessToken: "old", refreshToken: "rt", tokenType: nil, obtainedAt: Date(), expiresAt: Date(), scopes: nil)

    @Test func theRefreshGoesToTheConnectionsOwnHost() async throws {
        transport.answer("https://acme.my.salesforce.com/services/oauth2/token", json: #"{"access_token":"new"}"#)
        let known: [String: JSONValue] = ["instance_url": .string("https://acme.my.salesforce.com")]
        let fresh = try await client.refresh(provider: Self.provider(), tokens: stale, known: known, redirectURI: "r")
        #expect(fresh.accessToken == "new")
        #expect(transport.requests.map(\.url) == ["https://acme.my.salesforce.com/services/oauth2/token"])
        #expect(transport.requests.first?.form["client_secret"] == "s3cret")
    }

    @Test(arguments: [
        ("https://evil.example", "not one of the template's connection_hosts"),
        ("https://acme.my.salesforce.com.evil.example", "not one of the template's connection_hosts"),
        ("https://my.salesforce.com", "not one of the template's connection_hosts"),
        ("http://acme.my.salesforce.com", "must be https"),
        ("https://acme.my.salesforce.com/other/path", "is not an origin"),
        ("https://acme.my.salesforce.com?x=1", "is not an origin"),
        ("https://user@acme.my.salesforce.com", "is not an origin"),
        ("", "which this connection does not have"),
        // Escapes that a URL parser would decode into the host's text, and what they smuggle.
        ("https://attacker.example%2F.my.salesforce.com", "is not an origin"),
        ("https://attacker.example%23.my.salesforce.com", "is not an origin"),
        ("https://attacker.example%3F.my.salesforce.com", "is not an origin"),
        ("https://attacker.example\\.my.salesforce.com", "is not an origin"),
        ("https://acme.my.salesforce.com.", "is not an origin"),
        ("https://acme.my.salesforce.com:443x", "is not an origin"),
        ("https://acme.my.salesforce.com:8443", "names the port 8443"),
        ("https://[::1].my.salesforce.com", "is not an origin"),
    ])
    func anOriginOutsideTheHostsSendsNothing(origin: String, message: String) async throws {
        transport.answer("https://evil.example/services/oauth2/token", json: #"{"access_token":"new"}"#)
        let known: [String: JSONValue] = origin.isEmpty ? [:] : ["instance_url": .string(origin)]
        await #expect {
            try await client.refresh(provider: Self.provider(), tokens: stale, known: known, redirectURI: "r")
        } throws: { error in
            // A value the connection lacks is its own (a consent may mend it); one it has that
            // the template's rules refuse is the operator's.
            let kind: ProviderCallError.Kind = origin.isEmpty ? .rejected : .configuration
            return (error as? ProviderCallError).map { $0.kind == kind && $0.message.contains(message) } ?? false
        }
        #expect(transport.requests.isEmpty)
    }

    @Test func userInfoAfterTheExchangeUsesTheTokenAnswer() async throws {
        transport.answer(
            "https://login.salesforce.com/services/oauth2/token",
            json: #"{"access_token":"at","instance_url":"https://acme.my.salesforce.com"}"#)
        transport.answer(
            "https://acme.my.salesforce.com/services/oauth2/userinfo/a%2F..%3Fb", json: #"{"email":"a@acme.example"}"#)
        var tokens = try await client.exchange(provider: Self.provider(), code: "c", redirectURI: "r", codeVerifier: nil)
        #expect(tokens.responseUserInfo == ["instance_url": .string("https://acme.my.salesforce.com")])
        // A value after the origin stays one path segment, however it is spelled.
        tokens.responseUserInfo?["org"] = .string("a/..?b")
        let info = try await client.userInfo(provider: Self.provider(), tokens: tokens, known: nil, onRefresh: false)
        #expect(info?["email"] == .string("a@acme.example"))
        #expect(info?["instance_url"] == .string("https://acme.my.salesforce.com"))
        #expect(transport.requests.last?.url == "https://acme.my.salesforce.com/services/oauth2/userinfo/a%2F..%3Fb")
    }

    @Test func aPathValueThatIsADotSegmentOrAHeaderWithALineBreakSendsNothing() async throws {
        var provider = Self.provider()
        provider.oauth2.refreshRequest?.endpoint = "https://api.example.com/orgs/{{user_info.org}}/token"
        for org in [".", ".."] {
            await #expect(throws: ProviderCallError.self) {
                try await client.refresh(provider: provider, tokens: stale, known: ["org": .string(org)], redirectURI: "r")
            }
        }
        provider.oauth2.refreshRequest?.endpoint = "https://api.example.com/token"
        provider.oauth2.refreshRequest?.headers = ["X-Org": "{{user_info.org}}"]
        await #expect(throws: ProviderCallError.self) {
            try await client.refresh(
                provider: provider, tokens: stale, known: ["org": .string("a\r\nX-Evil: 1")], redirectURI: "r")
        }
        #expect(transport.requests.isEmpty)
    }

    @Test func placeholdersMayNotStandInTheHost() {
        #expect(ConnectionEndpoint.placeholdersArePlaced(in: "{{user_info.instance_url}}/services/oauth2/token"))
        #expect(ConnectionEndpoint.placeholdersArePlaced(in: "https://api.example.com/orgs/{{user_info.org}}/me"))
        #expect(!ConnectionEndpoint.placeholdersArePlaced(in: "https://{{user_info.org}}.attacker.example/i"))
        #expect(!ConnectionEndpoint.placeholdersArePlaced(in: "https://api.example.com:{{user_info.port}}/i"))
        #expect(!ConnectionEndpoint.placeholdersArePlaced(in: "{{user_info.instance_url}}.attacker.example/i"))
    }

    @Test func hostPatterns() {
        #expect(ConnectionEndpoint.host("acme.my.salesforce.com", matches: ["*.my.salesforce.com"]))
        #expect(ConnectionEndpoint.host("a.b.my.salesforce.com", matches: ["*.my.salesforce.com"]))
        #expect(ConnectionEndpoint.host("ACME.My.Salesforce.com", matches: ["*.my.salesforce.com"]))
        #expect(!ConnectionEndpoint.host("my.salesforce.com", matches: ["*.my.salesforce.com"]))
        #expect(!ConnectionEndpoint.host("evilmy.salesforce.com", matches: ["*.my.salesforce.com"]))
        #expect(ConnectionEndpoint.host("login.example.com", matches: ["login.example.com"]))
        #expect(!ConnectionEndpoint.host("x.login.example.com", matches: ["login.example.com"]))
        for valid in ["*.my.salesforce.com", "login.example.com", "127.0.0.1"] {
            #expect(ConnectionEndpoint.isValidPattern(valid))
        }
        for invalid in ["*", "*.com", "com", "*.*.example.com", "a..example.com", "a_b.example.com", "https://a.example"] {
            #expect(!ConnectionEndpoint.isValidPattern(invalid), "\(invalid)")
        }
    }
}
