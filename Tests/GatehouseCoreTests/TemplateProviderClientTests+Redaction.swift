import Foundation
import GatehouseTestSupport
import GatehouseWire
import Testing

@testable import GatehouseCore

// The user info is handed to apps and stored unsealed: whatever the template maps there, the
// grant's tokens never reach it. A provider's error text goes to logs and apps: what the request
// carried is taken out of it, and a header that the HTTP client would refuse (quoting it) is
// refused first.
extension TemplateProviderClientTests {
    @Test func theTokensAreTakenOutOfUserInfoFromTheTokenAnswer() async throws {
        // A member that holds a token among others (Slack's `authed_user`), mapped whole.
        let map = ["user_info.user": "$.authed_user", "user_info.team": "$.team"]
        transport.answer(
            "https://hooli.test/token",
            json:
                #"{"access_token":"AT","refresh_token":"RT","id_token":"IDT","team":"T1","authed_user":{"id":"U1","access_token":"AT","tokens":["RT","x"],"id_token":"IDT"}}"#
        )
        let tokens = try await client.exchange(
            provider: Self.provider(map: map), code: "c", redirectURI: "http://gh/cb", codeVerifier: nil)
        #expect(tokens.accessToken == "AT" && tokens.refreshToken == "RT")
        #expect(
            tokens.responseUserInfo == [
                "user": .object(["id": .string("U1"), "tokens": .array([.string("x")])]), "team": .string("T1"),
            ])
    }

    @Test func theTokensAreTakenOutOfWhatTheUserInfoEndpointSays() async throws {
        var provider = Self.provider()
        provider.oauth2.userInfoRequest?.responseMap = nil
        transport.answer("https://hooli.test/me", json: #"{"sub":"s1","token":"AT","grant":{"refresh":"RT","n":1}}"#)
        let tokens = TokenSet(accessToken: "AT", refreshToken: "RT", tokenType: nil, obtainedAt: now, expiresAt: now, scopes: nil)
        let info = try await client.userInfo(provider: provider, tokens: tokens, known: nil, onRefresh: false)
        #expect(info == ["sub": .string("s1"), "grant": .object(["n": .number(1)])])
    }

    @Test func aStringThatHoldsATokenIsTakenOutToo() async throws {
        var provider = Self.provider()
        provider.oauth2.userInfoRequest?.responseMap = nil
        transport.answer(
            "https://hooli.test/me",
            json: #"{"sub":"s1","auth":"Bearer AT-0123456789","avatar":"https://hooli.test/a.png?access_token=AT-0123456789"}"#)
        let tokens = TokenSet(
            accessToken: "AT-0123456789", refreshToken: nil, tokenType: nil, obtainedAt: now, expiresAt: now, scopes: nil)
        let info = try await client.userInfo(provider: provider, tokens: tokens, known: nil, onRefresh: false)
        #expect(info == ["sub": .string("s1")])
    }

    @Test func aRefreshAnswerMappedIntoUserInfoLosesItsTokensToo() async throws {
        var provider = Self.provider()
        provider.oauth2.refreshRequest?.responseMap = ["user_info.session": "$.session"]
        transport.answer(
            "https://hooli.test/token",
            json: #"{"access_token":"AT2","refresh_token":"RT2","session":{"rt":"RT2","at":"AT2","org":"o"}}"#)
        let old = TokenSet(accessToken: "AT", refreshToken: "RT", tokenType: nil, obtainedAt: now, expiresAt: now, scopes: nil)
        let fresh = try await client.refresh(provider: provider, tokens: old, known: nil, redirectURI: "http://gh/cb")
        #expect(fresh.responseUserInfo == ["session": .object(["org": .string("o")])])
    }

    @Test func aProvidersErrorTextDoesNotRepeatWhatWasSentAsItWentEither() async throws {
        // The refresh token percent-encoded, as the form carried it, and the client's
        // credentials as the Authorization header carried them.
        let provider = Self.provider()
        let basic = FormEncoding.basicCredentials(clientID: provider.clientID, secret: provider.clientSecret ?? "")
        transport.answer(
            "https://hooli.test/token", status: 400,
            json: #"{"error":"invalid_grant","error_description":"refresh_token=rt%2F0123%2B456789 with \#(basic) is unknown"}"#)
        let old = TokenSet(
            accessToken: "AT", refreshToken: "rt/0123+456789", tokenType: nil, obtainedAt: now, expiresAt: now, scopes: nil)
        let error = await #expect(throws: ProviderCallError.self) {
            try await client.refresh(provider: provider, tokens: old, known: nil, redirectURI: "http://gh/cb")
        }
        #expect(
            error?.message == "hooli.test answered 400 invalid_grant: refresh_token=[redacted] with Basic [redacted] is unknown")
    }

    @Test func aProvidersErrorTextDoesNotRepeatWhatWasSent() async throws {
        transport.answer(
            "https://hooli.test/token", status: 400,
            json:
                #"{"error":"invalid_grant","error_description":"refresh token rt-0123456789 is unknown (client secret s3cret)"}"#)
        let old = TokenSet(
            accessToken: "AT", refreshToken: "rt-0123456789", tokenType: nil, obtainedAt: now, expiresAt: now, scopes: nil)
        let error = await #expect(throws: ProviderCallError.self) {
            try await client.refresh(provider: Self.provider(), tokens: old, known: nil, redirectURI: "http://gh/cb")
        }
        #expect(
            error?.message
                == "hooli.test answered 400 invalid_grant: refresh token [redacted] is unknown (client secret [redacted])")
    }

    @Test func aTokenWithAControlCharacterIsNotSent() async throws {
        let tokens = TokenSet(
            accessToken: "AT\u{1}secret", refreshToken: nil, tokenType: nil, obtainedAt: now, expiresAt: now, scopes: nil)
        let error = await #expect(throws: ProviderCallError.self) {
            try await client.userInfo(provider: Self.provider(), tokens: tokens, known: nil, onRefresh: false)
        }
        #expect(error?.message == "header Authorization would carry a line break or another control character")
        #expect(transport.requests.isEmpty)
    }
}
