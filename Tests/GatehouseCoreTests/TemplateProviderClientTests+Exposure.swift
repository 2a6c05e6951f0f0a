import Foundation
import GatehouseTestSupport
import GatehouseWire
import Testing

@testable import GatehouseCore

// Apps read the access token and the scopes, and the store keeps the scopes and the user info
// unsealed: a template (a response map, an endpoint that echoes) may not put the refresh token
// or the client secret there. The template check refuses plain paths; these answers are refused
// (or, for the user info, cleaned) when they arrive, whatever path or function put them there.
extension TemplateProviderClientTests {
    static let longTokens =
        #"{"access_token":"AT-0123456789","refresh_token":"RT-0123456789","id_token":"IDT-0123456789","#

    @Test(arguments: [
        "$.refresh_token", "join('$.granted', ' ')", "$.granted", "$.id_token",
    ])
    func aMapThatPutsATokenInTheScopesIsRefused(path: String) async throws {
        transport.answer(
            "https://hooli.test/token", json: Self.longTokens + #""granted":["read","RT-0123456789"]}"#)
        let error = await #expect(throws: ProviderCallError.self) {
            try await client.exchange(
                provider: Self.provider(map: ["scope": path]), code: "c", redirectURI: "http://gh/cb", codeVerifier: nil)
        }
        #expect(error?.kind == .configuration)
        #expect(error?.message.contains("RT-0123456789") == false)
    }

    @Test func aRefreshAnswerMappedToPutTheSecretInTheScopesIsRefused() async throws {
        var provider = Self.provider()
        provider.oauth2.refreshRequest?.responseMap = ["scope": "$.echo"]
        transport.answer("https://hooli.test/token", json: #"{"access_token":"AT2","echo":"read s3cret"}"#)
        let old = TokenSet(accessToken: "AT", refreshToken: "RT", tokenType: nil, obtainedAt: now, expiresAt: now, scopes: nil)
        let error = await #expect(throws: ProviderCallError.self) {
            try await client.refresh(provider: provider, tokens: old, known: nil, redirectURI: "http://gh/cb")
        }
        #expect(error?.kind == .configuration)
    }

    @Test func aMapThatMakesTheRefreshTokenTheAccessTokenIsRefused() async throws {
        transport.answer("https://hooli.test/token", json: Self.longTokens + #""x":1}"#)
        let error = await #expect(throws: ProviderCallError.self) {
            try await client.exchange(
                provider: Self.provider(map: ["access_token": "join('$.refresh_token', '')"]), code: "c",
                redirectURI: "http://gh/cb", codeVerifier: nil)
        }
        #expect(error?.kind == .configuration)
        // A provider that issues the same string as both is not refused: apps get what it issued
        // as the access token.
        transport.answer(
            "https://hooli.test/token", json: #"{"access_token":"same-0123456789","refresh_token":"same-0123456789"}"#)
        let same = try await client.exchange(
            provider: Self.provider(), code: "c", redirectURI: "http://gh/cb", codeVerifier: nil)
        #expect(same.accessToken == same.refreshToken)
    }

    @Test func theClientSecretIsTakenOutOfUserInfo() async throws {
        var provider = Self.provider()
        provider.oauth2.userInfoRequest?.responseMap = nil
        let basic = FormEncoding.basicCredentials(clientID: "cid", secret: "s3cret")
        transport.answer(
            "https://hooli.test/me", json: #"{"sub":"s1","echo":"s3cret","headers":{"authorization":"\#(basic)","host":"h"}}"#)
        let tokens = TokenSet(accessToken: "AT", refreshToken: "RT", tokenType: nil, obtainedAt: now, expiresAt: now, scopes: nil)
        let info = try await client.userInfo(provider: provider, tokens: tokens, known: nil, onRefresh: false)
        #expect(info == ["sub": .string("s1"), "headers": .object(["host": .string("h")])])
    }
}
