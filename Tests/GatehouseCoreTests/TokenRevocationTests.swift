import Foundation
import GatehouseTestSupport
import GatehouseWire
import Testing

@testable import GatehouseCore

/// `token_revocation_request` (RFC 7009): what is sent, and how the answer is read.
@Suite struct TokenRevocationTests {
    let transport = ScriptedTransport()
    var client: TemplateProviderClient { TemplateProviderClient(transport: transport) }

    static func provider(_ revocation: RequestConfig?) -> Provider {
        var provider = TemplateProviderClientTests.provider()
        provider.oauth2.tokenRevocationRequest = revocation
        return provider
    }

    static let tokens = TokenSet(
        accessToken: "at-1", refreshToken: "rt-1", tokenType: "Bearer", obtainedAt: Date(), expiresAt: Date() + 3600,
        scopes: ["a"])

    /// Answers the revocation endpoint with `status` and `body`.
    func answer(status: Int = 200, body: String = "") {
        transport.respond { request in
            guard request.bareURL == "https://hooli.test/revoke" else { return nil }
            return OutboundResponse(status: status, headers: [:], body: Array(body.utf8))
        }
    }

    @Test func theRefreshTokenGoesAsRFC7009SaysWithTheTokenEndpointsClientAuthentication() async throws {
        answer()
        let revoked = try await client.revoke(
            provider: Self.provider(RequestConfig(endpoint: "https://hooli.test/revoke")), tokens: Self.tokens, known: nil)
        #expect(revoked)
        let request = try #require(transport.requests.last)
        #expect(request.method == "POST" && request.url == "https://hooli.test/revoke")
        #expect(request.form == ["token": "rt-1", "token_type_hint": "refresh_token"])
        #expect(request.header("Authorization") == "Basic " + Data("cid:s3cret".utf8).base64EncodedString())
        #expect(request.header("Content-Type") == "application/x-www-form-urlencoded")
    }

    @Test func withoutARefreshTokenTheAccessTokenGoes() async throws {
        answer(body: "{}")
        var tokens = Self.tokens
        tokens.refreshToken = nil
        #expect(
            try await client.revoke(
                provider: Self.provider(RequestConfig(endpoint: "https://hooli.test/revoke")), tokens: tokens, known: nil))
        #expect(transport.requests.last?.form == ["token": "at-1", "token_type_hint": "access_token"])
    }

    // GitHub's grant deletion, for one: a JSON body of the template's own, its own method.
    @Test func paramsSayExactlyWhatIsSent() async throws {
        answer(status: 204)
        let request = RequestConfig(
            endpoint: "https://hooli.test/revoke", method: "DELETE", params: ["access_token": "{{access_token}}"],
            requestContentType: "application/json")
        #expect(try await client.revoke(provider: Self.provider(request), tokens: Self.tokens, known: nil))
        let sent = try #require(transport.requests.last)
        #expect(sent.method == "DELETE" && String(decoding: sent.body ?? [], as: UTF8.self) == #"{"access_token":"at-1"}"#)
        // RFC 7009's names under other keys.
        let renamed = RequestConfig(
            endpoint: "https://hooli.test/revoke", params: ["t": "{{token}}", "kind": "{{token_type_hint}}"])
        #expect(try await client.revoke(provider: Self.provider(renamed), tokens: Self.tokens, known: nil))
        #expect(transport.requests.last?.form == ["t": "rt-1", "kind": "refresh_token"])
    }

    @Test func withoutARevocationRequestNothingIsSent() async throws {
        #expect(try await client.revoke(provider: Self.provider(nil), tokens: Self.tokens, known: nil) == false)
        #expect(transport.requests.isEmpty)
    }

    @Test(arguments: [
        (400, #"{"error":"unsupported_token_type"}"#, "unsupported_token_type"), (503, "", "HTTP 503"),
        (200, #"{"ok":false,"error":"invalid_auth"}"#, "invalid_auth"),
    ])
    func aRefusalIsAnErrorNamingWhatTheProviderSaid(status: Int, body: String, says: String) async throws {
        answer(status: status, body: body)
        let error = await #expect(throws: ProviderCallError.self) {
            try await client.revoke(
                provider: Self.provider(RequestConfig(endpoint: "https://hooli.test/revoke")), tokens: Self.tokens,
                known: nil)
        }
        #expect(error?.message.contains(says) == true, "\(String(describing: error))")
        #expect(error?.message.contains("rt-1") == false)
    }

    // RFC 7009 §2.2: the status says it; a body that is not JSON is no failure, unless it is a
    // page (a wrong path's, a sign-in page's), which is tried again.
    // (An empty page is a yes: django-oauth-toolkit's answer is an empty text/html.)
    @Test(arguments: [
        ("application/octet-stream", "<p>Revoked</p>", true), ("text/html; charset=utf-8", "<p>Revoked</p>", false),
        ("text/html; charset=utf-8", "", true),
    ])
    func aSuccessWhoseBodyIsNotJSONIsASuccessButForAPage(contentType: String, body: String, revoked: Bool) async throws {
        transport.respond { request in
            guard request.bareURL == "https://hooli.test/revoke" else { return nil }
            return OutboundResponse(status: 200, headers: ["content-type": contentType], body: Array(body.utf8))
        }
        let provider = Self.provider(RequestConfig(endpoint: "https://hooli.test/revoke"))
        guard revoked else {
            let error = await #expect(throws: ProviderCallError.self) {
                try await client.revoke(provider: provider, tokens: Self.tokens, known: nil)
            }
            #expect(error?.kind == .transient)
            return
        }
        #expect(try await client.revoke(provider: provider, tokens: Self.tokens, known: nil))
    }

    // The tokens are redacted from a provider's answer under whatever name the template sent
    // them (a parameter of its own, a header), not only RFC 7009's `token`.
    @Test func aTokenSentUnderAnotherNameIsNotRepeated() async throws {
        answer(status: 400, body: #"{"error":"invalid_request","error_description":"rt-1 and at-1 are not tokens here"}"#)
        let request = RequestConfig(
            endpoint: "https://hooli.test/revoke", params: ["revoke": "{{refresh_token}}"],
            headers: ["X-Access": "{{access_token}}"])
        let error = await #expect(throws: ProviderCallError.self) {
            try await client.revoke(provider: Self.provider(request), tokens: Self.tokens, known: nil)
        }
        #expect(error?.message.contains("[redacted] and [redacted]") == true, "\(String(describing: error))")
    }

    @Test func theValidatorKeepsRevocationsSecretsToItsOwnRequestAndChecksItsEndpoint() throws {
        var config = Self.provider(nil).oauth2
        config.tokenRevocationRequest = RequestConfig(
            endpoint: "https://hooli.test/revoke",
            params: ["token": "{{refresh_token}}", "secret": "{{client_secret}}", "t": "{{token}}"])
        try ProviderTemplateValidator.validate(config, prefix: "oauth2")
        config.tokenRevocationRequest = RequestConfig(endpoint: "ftp://hooli.test/revoke")
        #expect(throws: GatehouseError.self) { try ProviderTemplateValidator.validate(config, prefix: "oauth2") }
        // The refresh token, and the token a revocation ends, still belong nowhere else.
        config.tokenRevocationRequest = nil
        config.userInfoRequest?.params = ["t": "{{refresh_token}}"]
        let error = #expect(throws: GatehouseError.self) { try ProviderTemplateValidator.validate(config, prefix: "oauth2") }
        #expect(error?.message.contains("refresh and revocation") == true, "\(String(describing: error))")
        config.userInfoRequest?.params = ["t": "{{token}}"]
        let token = #expect(throws: GatehouseError.self) { try ProviderTemplateValidator.validate(config, prefix: "oauth2") }
        #expect(token?.message.contains("only in the revocation requests") == true, "\(String(describing: token))")
    }
}
