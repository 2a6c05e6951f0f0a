import Foundation
import GatehouseTestSupport
import GatehouseWire
import Testing

@testable import GatehouseCore

// A provider that nests the user's tokens (Slack: `authed_user.refresh_token`), under a map
// that reads the refresh token from elsewhere or not at all: the nested one is still a refresh
// token to the answer checks, wherever another entry would put it.
extension TemplateProviderClientTests {
    static let nestedRefresh =
        #"{"ok":true,"access_token":"xoxb-bot-0123456789","authed_user":{"access_token":"xoxp-user-0123456789","refresh_token":"xoxe-1-refresh-0123456789"}}"#

    /// A refresh under the map an admin key made: the refresh token moved to a member that is not
    /// there, and the nested one read into the access token, the scopes or the user info.
    func refreshed(_ map: [String: String]) async throws -> TokenSet {
        var provider = Self.provider()
        provider.oauth2.refreshRequest?.responseMap = map
        transport.answer("https://hooli.test/token", json: Self.nestedRefresh)
        let old = TokenSet(
            accessToken: "xoxp-old-0123456789", refreshToken: "xoxe-1-old-0123456789", tokenType: nil, obtainedAt: now,
            expiresAt: now, scopes: nil)
        return try await client.refresh(provider: provider, tokens: old, known: nil, redirectURI: "http://gh/cb")
    }

    @Test(arguments: [
        "join('$.authed_user.refresh_token', ' ')", "$.authed_user[ 'refresh_token' ]", "join('$.authed_user.refresh_token', '')",
    ])
    func aNestedRefreshTokenMadeTheAccessTokenIsRefused(path: String) async throws {
        let error = await #expect(throws: ProviderCallError.self) {
            try await self.refreshed(["access_token": path, "refresh_token": "$.authed_user.x"])
        }
        #expect(error?.kind == .configuration)
        #expect(error?.message.contains("0123456789") == false)
    }

    @Test func aNestedRefreshTokenInTheScopesIsRefused() async throws {
        let error = await #expect(throws: ProviderCallError.self) {
            try await self.refreshed([
                "access_token": "$.authed_user.access_token", "refresh_token": "$.authed_user.x",
                "scope": "join('$.authed_user.refresh_token', ' ')",
            ])
        }
        #expect(error?.kind == .configuration)
    }

    @Test func aNestedTokenIsTakenOutOfTheUserInfo() async throws {
        let tokens = try await refreshed([
            "access_token": "$.authed_user.access_token", "refresh_token": "$.authed_user.x",
            "user_info.leak": "join('$.authed_user.refresh_token', ' ')", "user_info.bot": "$.access_token",
            "user_info.ok": "$.ok",
        ])
        #expect(tokens.accessToken == "xoxp-user-0123456789")
        #expect(tokens.responseUserInfo == ["ok": .bool(true)])
    }

    /// The built-in Slack map hands out the user's access token and keeps the nested refresh token.
    @Test func theNestedMapOfSlackStillWorks() async throws {
        let tokens = try await refreshed([
            "access_token": "$.authed_user.access_token", "refresh_token": "$.authed_user.refresh_token",
        ])
        #expect(tokens.accessToken == "xoxp-user-0123456789" && tokens.refreshToken == "xoxe-1-refresh-0123456789")
    }

    @Test func stringsUnderAMemberAreFoundAtAnyDepth() {
        let document = JSONValue.object([
            "a": .object(["refresh_token": .string("r1"), "list": .array([.object(["refresh_token": .string("r2")])])]),
            "refresh_token": .array([.string("r3"), .object(["x": .string("r4")])]), "other": .string("o"),
        ])
        #expect(Set(document.strings(under: ["refresh_token"])) == ["r1", "r2", "r3", "r4"])
    }

    /// An endpoint that echoes its arguments (Slack's `api.test`) under `access_token`, nested or
    /// at the top beside a refresh token of its own: the refresh token this request sent is never
    /// an access token, wherever the answer holds it.
    @Test(arguments: [
        (#"{"ok":true,"args":{"access_token":"xoxe-1-old-0123456789"}}"#, "$.args.access_token"),
        (#"{"access_token":"xoxe-1-old-0123456789","refresh_token":"xoxe-1-new-0123456789"}"#, "$.access_token"),
    ])
    func theSentRefreshTokenEchoedAsAnAccessTokenIsRefused(answer: String, path: String) async throws {
        var provider = Self.provider()
        provider.oauth2.refreshRequest?.responseMap = ["access_token": path]
        transport.answer("https://hooli.test/token", json: answer)
        let old = TokenSet(
            accessToken: "xoxp-old-0123456789", refreshToken: "xoxe-1-old-0123456789", tokenType: nil, obtainedAt: now,
            expiresAt: now, scopes: nil)
        let error = await #expect(throws: ProviderCallError.self) {
            try await client.refresh(provider: provider, tokens: old, known: nil, redirectURI: "http://gh/cb")
        }
        #expect(error?.kind == .configuration)
    }

    /// The client secret, or the Basic credentials that carry it, echoed back as the access token.
    @Test(arguments: ["s3cret-0123456789", "Y2lkOnMzY3JldC0wMTIzNDU2Nzg5"])
    func theClientSecretAsTheAccessTokenIsRefused(echo: String) async throws {
        var provider = Self.provider(map: ["access_token": "$.args.access_token"])
        provider.clientSecret = "s3cret-0123456789"
        transport.answer("https://hooli.test/token", json: #"{"args":{"access_token":"\#(echo)"}}"#)
        let error = await #expect(throws: ProviderCallError.self) {
            try await client.exchange(provider: provider, code: "c", redirectURI: "http://gh/cb", codeVerifier: nil)
        }
        #expect(error?.kind == .configuration)
        #expect(error?.message.contains("client secret") == true)
    }

    /// The introspection request may name the user info: a token mapped there is taken out
    /// before it is rendered, so it is not in the introspection's URL.
    @Test func theIntrospectionDoesNotSeeATokenMappedIntoTheUserInfo() async throws {
        var provider = Self.provider()
        provider.oauth2.refreshRequest?.responseMap = [
            "access_token": "$.authed_user.access_token", "refresh_token": "$.authed_user.refresh_token",
            "user_info.leak": "join('$.authed_user.refresh_token', ' ')",
        ]
        provider.oauth2.tokenIntrospectionRequest = RequestConfig(
            endpoint: "https://hooli.test/introspect", params: ["q": "{{user_info.leak}}"])
        transport.answer("https://hooli.test/token", json: Self.nestedRefresh)
        transport.answer("https://hooli.test/introspect", json: #"{"active":true,"exp":1000600}"#)
        let old = TokenSet(
            accessToken: "xoxp-old-0123456789", refreshToken: "xoxe-1-old-0123456789", tokenType: nil, obtainedAt: now,
            expiresAt: now, scopes: nil)
        _ = try? await client.refresh(provider: provider, tokens: old, known: nil, redirectURI: "http://gh/cb")
        let sent = transport.requests.filter { $0.bareURL.hasPrefix("https://hooli.test/introspect") }
        #expect(!sent.isEmpty)
        for request in sent {
            #expect(!request.url.contains("refresh-0123456789"), "\(request.url)")
            #expect(!String(decoding: request.body ?? [], as: UTF8.self).contains("refresh-0123456789"))
        }
    }

    /// An echo of the request's body puts a token in the user info percent-encoded (its hex in
    /// mixed case here): taken out too.
    @Test func aTokenEchoedPercentEncodedIsTakenOutOfTheUserInfo() async throws {
        var provider = Self.provider()
        provider.oauth2.refreshRequest?.responseMap = ["user_info.echo": "$.echo", "user_info.name": "$.name"]
        transport.answer(
            "https://hooli.test/token",
            json:
                #"{"access_token":"AT-0123456789","name":"n","echo":"grant_type=refresh_token&refresh_token=rt%2f0123%2B456789"}"#
        )
        let old = TokenSet(
            accessToken: "AT-old", refreshToken: "rt/0123+456789", tokenType: nil, obtainedAt: now, expiresAt: now, scopes: nil)
        let tokens = try await client.refresh(provider: provider, tokens: old, known: nil, redirectURI: "http://gh/cb")
        #expect(tokens.responseUserInfo == ["name": .string("n")])
    }

    /// An echo of the refresh request's form: the sent refresh token percent-encoded in what the
    /// map makes the access token.
    @Test func theSentRefreshTokenEchoedPercentEncodedIsRefused() async throws {
        var provider = Self.provider()
        provider.oauth2.refreshRequest?.responseMap = ["access_token": "$.echo"]
        transport.answer(
            "https://hooli.test/token", json: #"{"echo":"grant_type=refresh_token&refresh_token=RT%2F0123%2B456789"}"#)
        let old = TokenSet(
            accessToken: "AT-old", refreshToken: "RT/0123+456789", tokenType: nil, obtainedAt: now, expiresAt: now, scopes: nil)
        let error = await #expect(throws: ProviderCallError.self) {
            try await client.refresh(provider: provider, tokens: old, known: nil, redirectURI: "http://gh/cb")
        }
        #expect(error?.kind == .configuration)
    }

    /// Short words under a token member (an object's `type`) are not tokens: an equal user info
    /// value stays.
    @Test func shortWordsUnderATokenMemberStayInTheUserInfo() async throws {
        var provider = Self.provider()
        provider.oauth2.refreshRequest?.responseMap = ["user_info.kind": "$.kind"]
        transport.answer(
            "https://hooli.test/token",
            json: #"{"access_token":"AT-0123456789","kind":"user","authed_user":{"access_token":{"type":"user"}}}"#)
        let old = TokenSet(
            accessToken: "AT-old", refreshToken: "RT-0123456789", tokenType: nil, obtainedAt: now, expiresAt: now, scopes: nil)
        let tokens = try await client.refresh(provider: provider, tokens: old, known: nil, redirectURI: "http://gh/cb")
        #expect(tokens.responseUserInfo == ["kind": .string("user")])
    }
}
