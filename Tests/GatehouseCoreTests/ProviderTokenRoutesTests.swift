import GatehouseWire
import Testing

@testable import GatehouseCore

/// Which template changes send a stored secret or a grant's refresh token elsewhere: read from
/// the two templates alone, as the registry judges a patch.
@Suite struct ProviderTokenRoutesTests {
    static let base = OAuth2Config(
        tokenRequest: RequestConfig(endpoint: "https://api.example/token", authMethod: "client_secret_basic"),
        refreshRequest: RequestConfig(endpoint: "https://api.example/token", authMethod: "client_secret_basic"),
        userInfoRequest: RequestConfig(endpoint: "https://api.example/me"))

    @Test func aUserInfoRequestThatSendsTheSecretNeedsItAgainToMoveOrToStartSending() {
        var sending = Self.base
        sending.userInfoRequest = RequestConfig(
            endpoint: "https://api.example/me", method: "POST", authMethod: "client_secret_post")
        // Starting to send it, at the same URL.
        #expect(ProviderRegistry.movedEndpoint(from: Self.base, to: sending)?.move == .secret)
        // Sending it, to another path of the same host.
        var moved = sending
        moved.userInfoRequest?.endpoint = "https://api.example/api/chat.postMessage"
        #expect(ProviderRegistry.movedEndpoint(from: sending, to: moved)?.field == "user_info_request.endpoint")
        #expect(ProviderRegistry.movedEndpoint(from: sending, to: moved)?.move == .url)
        // A bearer-token user info request may change its path without the secret.
        var bearer = Self.base
        bearer.userInfoRequest?.endpoint = "https://api.example/v2/me"
        #expect(ProviderRegistry.movedEndpoint(from: Self.base, to: bearer) == nil)
    }

    @Test func theRefreshTokensSourceIsReadAsTheResponseMapReadsIt() {
        var spelled = Self.base
        spelled.refreshRequest?.responseMap = ["refresh_token": "$['refresh_token']"]
        #expect(ProviderRegistry.newRefreshTokenSource(from: Self.base, to: spelled) == nil)
        var elsewhere = Self.base
        elsewhere.refreshRequest?.responseMap = ["refresh_token": "$.data.refresh_token"]
        #expect(
            ProviderRegistry.newRefreshTokenSource(from: Self.base, to: elsewhere) == "refresh_request.response_map.refresh_token"
        )
    }

    /// Endpoints that take their host from the connection: what sets that host (the user info
    /// request, the maps' `user_info.*` entries) is held while there are connections.
    @Test func whatNamesAConnectionsHostIsHeldWithTheConnections() {
        var old = Self.base
        old.connectionHosts = ["*.api.example"]
        old.refreshRequest?.endpoint = "{{user_info.instance_url}}/token"
        old.tokenRequest?.responseMap = ["user_info.instance_url": "$.instance_url"]
        var echo = old
        echo.userInfoRequest?.endpoint = "https://api.example/api.test"
        #expect(ProviderRegistry.newRefreshTokenURL(from: old, to: echo) == "user_info_request")
        var mapped = old
        mapped.refreshRequest?.responseMap = ["user_info.instance_url": "$.elsewhere"]
        #expect(ProviderRegistry.newRefreshTokenURL(from: old, to: mapped) == "refresh_request.response_map")
        // Without such endpoints, the user info request is free to change.
        var plain = Self.base
        plain.userInfoRequest?.endpoint = "https://api.example/api.test"
        #expect(ProviderRegistry.newRefreshTokenURL(from: Self.base, to: plain) == nil)
    }
}
