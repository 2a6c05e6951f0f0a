import Foundation
import GatehouseCore
import GatehouseTestSupport
import HummingbirdTesting
import Testing

@testable import GatehouseServer

/// The fake provider's transport, with every code exchange held at `gate` until the test opens
/// it: a provider slow to answer while the person reloads the page.
struct HeldExchangeTransport: HTTPTransport {
    let inner: ScriptedTransport
    let gate: Gate

    func send(_ request: OutboundRequest) async throws -> OutboundResponse {
        if request.form["grant_type"] == "authorization_code" { await gate.wait() }
        return try await inner.send(request)
    }
}

/// A reload of the callback while the first one is still at work, or after it ended: the page
/// says where the sign-in is, and nothing is done twice.
extension EndUserPageTests {
    /// Runs `body` with the code exchange held at `gate`.
    static func withHeldExchange(_ body: @escaping @Sendable (APIHarness, Gate) async throws -> Void) async throws {
        let gate = Gate()
        let provider = FakeProvider()
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("gh-reload-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try await APIHarness.run(
            configuration: GatehouseConfiguration(port: 0, dataDirectory: directory), provider: provider,
            transport: HeldExchangeTransport(inner: provider.transport, gate: gate)
        ) { api in
            try await body(api, gate)
        }
    }

    @Test func aReloadWhileTheExchangeIsUnderWaySaysStillConnectingAndReloadsItself() async throws {
        try await Self.withHeldExchange { api, gate in
            try await api.createProvider()
            let authorization = try await api.authorize(user: "r1")
            let path = try api.callbackPath(for: authorization)
            let first = Task { try await api.call(.get, path, authorization: nil) }
            #expect(try await eventually { gate.arrivals == 1 })
            // The app's status read meanwhile does not fail the flow under its callback, which
            // is at work in this process (on SQLite, one not at work is failed at once).
            let id = try #require(authorization["id"] as? String)
            let status = try api.object(try await api.call(.get, "/v1/auth/status?id=\(id)"))
            #expect(status["status"] as? String == "pending", "\(status)")

            let reload = try await api.call(.get, path, authorization: nil)
            #expect(reload.status == .ok)
            let html = Self.page(reload)
            #expect(html.contains("<h1>Still connecting</h1>"))
            #expect(html.contains(#"<meta http-equiv="refresh" content="2">"#))
            #expect(reload.headers[.contentSecurityPolicy]?.contains("default-src 'none'") == true)
            #expect(gate.arrivals == 1, "the reload exchanged the code again")

            gate.open()
            #expect(Self.page(try await first.value).contains("You connected fake"))
            let after = try await api.call(.get, path, authorization: nil)
            #expect(after.status == .ok && Self.page(after).contains("You connected fake"))
            #expect(api.provider.codeGrants == 1)
        }
    }

    @Test func aReloadAfterARefusedExchangeSaysTheSignInDidNotFinishWithoutTryingAgain() async throws {
        try await APIHarness.run { api in
            try await api.createProvider()
            let refused = try await api.authorize(user: "r3")
            #expect(try await api.callback(for: refused, code: "refused-code").status == .badGateway)
            let reload = try await api.callback(for: refused)
            #expect(reload.status == .badRequest)
            #expect(Self.page(reload).contains("The sign-in didn&#39;t finish"))
            #expect(api.provider.transport.requests.filter { $0.url.hasSuffix("/token") }.count == 1)
        }
    }
}
