import Foundation
import GatehouseTestSupport
import GatehouseWire
import Testing

@testable import GatehouseCore

@Suite struct TemplateProviderClientTests {
    static func provider(
        auth: String = "client_secret_basic", json: Bool = false, map: [String: String]? = nil, refresh: Bool = true
    )
        -> Provider
    {
        Provider(
            id: "hooli", description: nil, providerType: "", enabled: true, source: .api,
            oauth2: OAuth2Config(
                clientID: "cid", scopeDelimiter: " ", pkce: PKCEConfig(enabled: true),
                authorizeRequest: RequestConfig(
                    endpoint: "https://hooli.test/authorize",
                    params: ["response_type": "code", "client_id": "{{client_id}}", "scope": "{{scopes}} {{existing_scopes}}"]),
                tokenRequest: RequestConfig(
                    endpoint: "https://hooli.test/token", authMethod: auth,
                    params: ["client_id": "{{client_id}}", "client_secret": "{{client_secret}}"],
                    requestContentType: json ? "application/json" : nil, responseMap: map),
                refreshRequest: refresh ? RequestConfig(endpoint: "https://hooli.test/token", authMethod: auth) : nil,
                userInfoRequest: RequestConfig(endpoint: "https://hooli.test/me", responseMap: ["name": "$.data.name"])),
            clientSecret: "s3cret", createdAt: Date(), updatedAt: Date())
    }

    let transport = ScriptedTransport()
    let now = Date(timeIntervalSince1970: 1_000_000)
    var client: TemplateProviderClient {
        TemplateProviderClient(transport: transport, defaultLifetime: 3600, now: { [now] in now })
    }

    @Test func authorizeURLCarriesStatePKCEAndTheScopeUnion() throws {
        let url = try client.authorizeURL(
            provider: Self.provider(), redirectURI: "http://gh/cb", state: "st", codeChallenge: "ch", requested: ["b"],
            existing: ["a"])
        let query = FormEncoding.decode(String(url.split(separator: "?")[1]))
        #expect(url.hasPrefix("https://hooli.test/authorize?"))
        #expect(
            query == [
                "response_type": "code", "client_id": "cid", "scope": "b a", "state": "st", "code_challenge": "ch",
                "code_challenge_method": "S256",
            ])
    }

    @Test func basicAuthSendsCredentialsInTheHeaderOnly() async throws {
        transport.answer(
            "https://hooli.test/token", json: #"{"access_token":"at","refresh_token":"rt","expires_in":60,"scope":"a b"}"#)
        let tokens = try await client.exchange(
            provider: Self.provider(), code: "c0de", redirectURI: "http://gh/cb", codeVerifier: "v")
        #expect(tokens.accessToken == "at" && tokens.refreshToken == "rt" && tokens.scopes == ["a", "b"])
        #expect(tokens.expiresAt == now + 60)
        let request = try #require(transport.requests.last)
        #expect(request.header("Authorization") == "Basic " + Data("cid:s3cret".utf8).base64EncodedString())
        #expect(
            request.form == [
                "code": "c0de", "code_verifier": "v", "grant_type": "authorization_code", "redirect_uri": "http://gh/cb",
            ])
    }

    @Test func postAuthSendsCredentialsInTheBodyOnly() async throws {
        transport.answer("https://hooli.test/token", json: #"{"access_token":"at"}"#)
        _ = try await client.exchange(
            provider: Self.provider(auth: "client_secret_post"), code: "c", redirectURI: "r", codeVerifier: nil)
        let request = try #require(transport.requests.last)
        #expect(request.header("Authorization") == nil)
        #expect(request.form["client_id"] == "cid" && request.form["client_secret"] == "s3cret")
    }

    @Test func jsonBodiesAndNestedMaps() async throws {
        transport.answer("https://hooli.test/token", json: #"{"ok":true,"authed_user":{"access_token":"xoxp","scope":"a,b"}}"#)
        let tokens = try await client.exchange(
            provider: Self.provider(
                json: true, map: ["access_token": "$.authed_user.access_token", "scope": "$.authed_user.scope"]),
            code: "c", redirectURI: "r", codeVerifier: nil)
        #expect(tokens.accessToken == "xoxp" && tokens.scopes == ["a", "b"])
        let request = try #require(transport.requests.last)
        #expect(request.header("Content-Type") == "application/json")
        let body = try JSONDecoder().decode([String: String].self, from: Data(request.body ?? []))
        #expect(body["code"] == "c" && body["client_secret"] == nil)
    }

    @Test func errorsAreClassified() async throws {
        let provider = Self.provider()
        let tokens = TokenSet(
            accessToken: "old", refreshToken: "rt", tokenType: nil, obtainedAt: now, expiresAt: now, scopes: nil)
        transport.answer("https://hooli.test/token", json: #"{"ok":false,"error":"invalid_code"}"#)
        await #expect(throws: ProviderCallError(.rejected, "hooli.test answered 200 invalid_code")) {
            try await client.exchange(provider: provider, code: "c", redirectURI: "r", codeVerifier: nil)
        }
        transport.answer(
            "https://hooli.test/token", status: 400, json: #"{"error":"invalid_grant","error_description":"revoked"}"#)
        await #expect {
            try await client.refresh(provider: provider, tokens: tokens, known: nil, redirectURI: "http://gh/cb")
        } throws: { ($0 as? ProviderCallError)?.kind == .invalidGrant }
        transport.answer("https://hooli.test/token", status: 503, json: "busy", contentType: "text/html")
        await #expect {
            try await client.refresh(provider: provider, tokens: tokens, known: nil, redirectURI: "http://gh/cb")
        } throws: { ($0 as? ProviderCallError)?.kind == .transient }
        await #expect {
            try await client.refresh(
                provider: Self.provider(refresh: false), tokens: tokens, known: nil, redirectURI: "http://gh/cb")
        } throws: { ($0 as? ProviderCallError)?.kind == .invalidGrant }
        // A sign-in page where JSON was expected says what came.
        transport.answer("https://hooli.test/token", json: "<html>Sign in</html>", contentType: "text/html")
        await #expect(
            throws: ProviderCallError(
                .transient, "hooli.test answered 200 with a body that is not JSON (Content-Type: text/html)")
        ) {
            try await client.exchange(provider: provider, code: "c", redirectURI: "r", codeVerifier: nil)
        }
        // The client's credentials refused (RFC 6749 §5.2) is the operator's to fix; any other
        // refusal a new consent may mend.
        for (status, body, kind) in [
            (401, #"{"error":"invalid_client"}"#, ProviderCallError.Kind.configuration),
            (400, #"{"error":"invalid_client"}"#, .configuration), (401, "{}", .configuration),
            (200, #"{"error":"incorrect_client_credentials"}"#, .configuration),
            (200, #"{"ok":false,"error":"bad_client_secret"}"#, .configuration), (404, "{}", .configuration),
            (400, #"{"error":"invalid_request"}"#, .rejected), (400, "{}", .rejected),
            (400, #"{"error":"unsupported_grant_type"}"#, .rejected),
            (403, "{}", .transient), (408, "{}", .transient),
        ] {
            transport.answer("https://hooli.test/token", status: status, json: body)
            await #expect("\(status) \(body)") {
                try await client.refresh(provider: provider, tokens: tokens, known: nil, redirectURI: "http://gh/cb")
            } throws: { ($0 as? ProviderCallError)?.kind == kind }
        }
    }

    /// The provider's error words are logged and kept with the failed flow: a huge one is cut.
    @Test func aProvidersErrorTextIsBounded() async throws {
        let long = String(repeating: "x", count: 900_000)
        transport.answer(
            "https://hooli.test/token", status: 400, json: #"{"error":"\#(long)","error_description":"\#(long)"}"#)
        await #expect {
            try await client.exchange(provider: Self.provider(), code: "c", redirectURI: "r", codeVerifier: nil)
        } throws: { error in
            let message = (error as? ProviderCallError)?.message ?? ""
            return message.count < 500 && message.hasPrefix("hooli.test answered 400 xxx") && message.contains("(900000 bytes)")
        }
    }

    @Test func refreshKeepsTheOldRefreshTokenAndDefaultsTheLifetime() async throws {
        transport.answer("https://hooli.test/token", json: #"{"access_token":"new"}"#)
        let old = TokenSet(
            accessToken: "old", refreshToken: "rt", tokenType: "Bearer", obtainedAt: now, expiresAt: now, scopes: ["a"])
        let fresh = try await client.refresh(provider: Self.provider(), tokens: old, known: nil, redirectURI: "http://gh/cb")
        #expect(fresh.accessToken == "new" && fresh.refreshToken == "rt" && fresh.scopes == ["a"])
        #expect(fresh.expiresAt == now + 3600)
        #expect(transport.requests.last?.form == ["grant_type": "refresh_token", "refresh_token": "rt"])
    }

    @Test(arguments: [
        (#"{"access_token":"at"}"#, TemplateProviderClient.longLived),
        (#"{"access_token":"at","expires_in":0}"#, TemplateProviderClient.longLived),
        (#"{"access_token":"at","refresh_token":"rt"}"#, 3600),
        (#"{"access_token":"at","refresh_token":"rt","expires_in":0}"#, 0),
    ])
    func aTokenThatCannotBeRenewedAndSaysNoLifetimeIsLongLived(answer: String, lifetime: TimeInterval) async throws {
        // GitHub OAuth apps and Slack without rotation: no refresh token, no expiry, although
        // the template can refresh. Expiring it after the assumed 30 minutes sent the user
        // through consent again every 30 minutes (at once and on every read with expires_in 0).
        transport.answer("https://hooli.test/token", json: answer)
        let tokens = try await client.exchange(provider: Self.provider(), code: "c", redirectURI: "r", codeVerifier: nil)
        #expect(tokens.expiresAt == now + lifetime)
    }

    @Test func aTemplatesOwnLifetimeIsAssumedBeforeTheEngines() async throws {
        transport.answer("https://hooli.test/token", json: #"{"access_token":"new"}"#)
        var provider = Self.provider()
        provider.defaultTokenLifetime = 1800
        let old = TokenSet(
            accessToken: "old", refreshToken: "rt", tokenType: "Bearer", obtainedAt: now, expiresAt: now, scopes: ["a"])
        #expect(
            try await client.refresh(provider: provider, tokens: old, known: nil, redirectURI: "http://gh/cb").expiresAt == now
                + 1800)
        // Without one, the engine's (3600 in these tests; 1800 unless configured).
        #expect(
            try await client.refresh(provider: Self.provider(), tokens: old, known: nil, redirectURI: "http://gh/cb").expiresAt
                == now + 3600)
        #expect(TemplateProviderClient(transport: transport).defaultLifetime == 1800)
        // Its author's word holds without a refresh token too: the token does expire.
        transport.answer("https://hooli.test/token", json: #"{"access_token":"at"}"#)
        #expect(
            try await client.exchange(provider: provider, code: "c", redirectURI: "r", codeVerifier: nil).expiresAt == now + 1800)
    }

    @Test func userInfoUsesTheBearerTokenAndTheMap() async throws {
        transport.answer("https://hooli.test/me", json: #"{"data":{"name":"Alice"}}"#)
        let tokens = TokenSet(accessToken: "at", refreshToken: nil, tokenType: nil, obtainedAt: now, expiresAt: now, scopes: nil)
        let info = try await client.userInfo(provider: Self.provider(), tokens: tokens, known: nil, onRefresh: false)
        #expect(info == ["name": .string("Alice")])
        #expect(transport.requests.last?.header("Authorization") == "Bearer at")
        #expect(transport.requests.last?.method == "GET")
        #expect(try await client.userInfo(provider: Self.provider(), tokens: tokens, known: nil, onRefresh: true) == nil)
    }

    @Test func userInfoFromTheTokenAnswerGoesToTheConnectionNotTheTokens() async throws {
        // Notion's and Salesforce's token answers say who and where: `user_info.*` map keys.
        let map = ["user_info.workspace_id": "$.workspace_id", "user_info.name": "$.owner.name"]
        transport.answer(
            "https://hooli.test/token",
            json: #"{"access_token":"at","workspace_id":"w-1","owner":{"name":"Token Name"},"expires_in":60}"#)
        transport.answer("https://hooli.test/me", json: #"{"data":{"name":"Endpoint Name"}}"#)
        let tokens = try await client.exchange(
            provider: Self.provider(map: map), code: "c", redirectURI: "http://gh/cb", codeVerifier: nil)
        #expect(tokens.accessToken == "at" && tokens.expiresAt == now + 60)
        #expect(tokens.responseUserInfo == ["workspace_id": .string("w-1"), "name": .string("Token Name")])
        // Never sealed with the tokens.
        let sealed = String(decoding: try JSONEncoder().encode(tokens), as: UTF8.self)
        #expect(!sealed.contains("w-1") && !sealed.contains("Token Name"))
        // Merged under what the user info endpoint says, or alone when there is none.
        let merged = try await client.userInfo(provider: Self.provider(map: map), tokens: tokens, known: nil, onRefresh: false)
        #expect(merged == ["workspace_id": .string("w-1"), "name": .string("Endpoint Name")])
        var without = Self.provider(map: map)
        without.oauth2.userInfoRequest = nil
        #expect(
            try await client.userInfo(provider: without, tokens: tokens, known: nil, onRefresh: false) == tokens.responseUserInfo)
    }

    /// User info is stored with the grant and sent with every completed authorize: an answer
    /// past 64 KiB is refused (the callback goes on without it), a smaller one kept whole.
    @Test func userInfoPast64KiBIsNotKept() async throws {
        var provider = Self.provider()
        provider.oauth2.userInfoRequest = RequestConfig(endpoint: "https://hooli.test/me")
        let tokens = TokenSet(accessToken: "at", refreshToken: nil, tokenType: nil, obtainedAt: now, expiresAt: now, scopes: nil)
        let keys = (0..<6_000).map { #""key-\#($0)":"value-\#($0)""# }
        transport.answer("https://hooli.test/me", json: "{" + keys.prefix(500).joined(separator: ",") + "}")
        #expect(try await client.userInfo(provider: provider, tokens: tokens, known: nil, onRefresh: false)?.count == 500)
        transport.answer("https://hooli.test/me", json: "{" + keys.joined(separator: ",") + "}")
        await #expect {
            try await client.userInfo(provider: provider, tokens: tokens, known: nil, onRefresh: false)
        } throws: { ($0 as? ProviderCallError)?.message.contains("more than the 65536 Gatehouse keeps") == true }
        // The same for what the token answer said (`user_info.*` of its response map).
        var fromToken = tokens
        fromToken.responseUserInfo = ["blob": .string(String(repeating: "x", count: 70_000))]
        provider.oauth2.userInfoRequest = nil
        await #expect {
            try await client.userInfo(provider: provider, tokens: fromToken, known: nil, onRefresh: false)
        } throws: { ($0 as? ProviderCallError)?.message.contains("more than the 65536 Gatehouse keeps") == true }
    }

    @Test func aGraphQLAnswerWithErrorsFailsTheCallWithItsMessage() async throws {
        // Linear's viewer query answers 200 with `data: null` and the reason in `errors`.
        transport.answer(
            "https://hooli.test/me",
            json:
                #"{"data":null,"errors":[{"message":"Authentication required, not authenticated","extensions":{"code":"AUTHENTICATION_ERROR"}}]}"#
        )
        let tokens = TokenSet(accessToken: "at", refreshToken: nil, tokenType: nil, obtainedAt: now, expiresAt: now, scopes: nil)
        await #expect {
            try await client.userInfo(provider: Self.provider(), tokens: tokens, known: nil, onRefresh: false)
        } throws: { error in
            let failure = error as? ProviderCallError
            return failure?.kind == .rejected && failure?.message.contains("Authentication required, not authenticated") == true
        }
        // An empty `errors` array is no error.
        transport.answer("https://hooli.test/me", json: #"{"data":{"name":"Alice"},"errors":[]}"#)
        #expect(
            try await client.userInfo(provider: Self.provider(), tokens: tokens, known: nil, onRefresh: false) == [
                "name": .string("Alice")
            ])
    }

    @Test func aPostWithoutArgumentsSendsNoBody() async throws {
        var provider = Self.provider()
        provider.oauth2.userInfoRequest = RequestConfig(
            endpoint: "https://hooli.test/rpc", method: "POST", authMethod: "bearer_access_token",
            requestContentType: "application/json")
        transport.answer("https://hooli.test/rpc", json: #"{"account_id":"dbid:1"}"#)
        let tokens = TokenSet(accessToken: "at", refreshToken: nil, tokenType: nil, obtainedAt: now, expiresAt: now, scopes: nil)
        #expect(
            try await client.userInfo(provider: provider, tokens: tokens, known: nil, onRefresh: false)?["account_id"]
                == .string("dbid:1"))
        let request = try #require(transport.requests.last)
        #expect(request.body == nil && request.header("Content-Type") == nil)
    }

    @Test func refreshCanUseTheRedirectURIAndScopes() async throws {
        var provider = Self.provider()
        provider.oauth2.refreshRequest?.params = ["redirect_uri": "{{redirect_uri}}", "scope": "{{scopes}}"]
        transport.answer("https://hooli.test/token", json: #"{"access_token":"new","scope":"a b"}"#)
        let old = TokenSet(
            accessToken: "old", refreshToken: "rt", tokenType: nil, obtainedAt: now, expiresAt: now, scopes: ["a", "b"])
        _ = try await client.refresh(provider: provider, tokens: old, known: nil, redirectURI: "http://gh/cb")
        let form = try #require(transport.requests.last).form
        #expect(form["redirect_uri"] == "http://gh/cb" && form["scope"] == "a b" && form["refresh_token"] == "rt")
    }
}
