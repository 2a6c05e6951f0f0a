import Foundation
import GatehouseTestSupport
import GatehouseWire
import Testing

@testable import GatehouseCore

// Introspection fills in what a token answer leaves out; it never costs the tokens themselves.
extension TemplateProviderClientTests {
    func introspecting() -> Provider {
        var provider = Self.provider()
        provider.oauth2.tokenIntrospectionRequest = RequestConfig(endpoint: "https://hooli.test/introspect")
        return provider
    }

    @Test func aLifetimeTheAnswerLeavesOutIsIntrospected() async throws {
        transport.answer("https://hooli.test/token", json: #"{"access_token":"new","refresh_token":"rt-2"}"#)
        transport.answer("https://hooli.test/introspect", json: #"{"active":true,"exp":1000600,"scope":"a b"}"#)
        let old = TokenSet(
            accessToken: "old", refreshToken: "rt-1", tokenType: "Bearer", obtainedAt: now, expiresAt: now, scopes: ["a"])
        let fresh = try await client.refresh(provider: introspecting(), tokens: old, known: nil, redirectURI: "http://gh/cb")
        #expect(fresh.expiresAt == now + 600 && fresh.scopes == ["a", "b"])
    }

    /// The provider has rotated the refresh token by the time its introspection fails: the new
    /// one is kept (the old one is dead), with the assumed lifetime.
    @Test func aFailedIntrospectionKeepsTheIssuedTokens() async throws {
        transport.answer("https://hooli.test/token", json: #"{"access_token":"new","refresh_token":"rt-2"}"#)
        transport.answer("https://hooli.test/introspect", status: 503, json: #"{"error":"unavailable"}"#)
        let old = TokenSet(
            accessToken: "old", refreshToken: "rt-1", tokenType: "Bearer", obtainedAt: now, expiresAt: now, scopes: ["a"])
        let fresh = try await client.refresh(provider: introspecting(), tokens: old, known: nil, redirectURI: "http://gh/cb")
        #expect(fresh.accessToken == "new" && fresh.refreshToken == "rt-2")
        #expect(fresh.expiresAt == now + 3600 && fresh.scopes == ["a"])
        #expect(transport.requests.map(\.bareURL).contains("https://hooli.test/introspect"))
    }
}
