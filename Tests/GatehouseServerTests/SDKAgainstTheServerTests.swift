import Foundation
import Gatehouse
import GatehouseServer
import GatehouseTestSupport
import Testing

/// The Swift SDK against the real composition root over HTTP (not the SDK tests' scripted
/// server): the flow, the long-poll, filters and secrets as the server answers them.
@Suite struct SDKAgainstTheServerTests {
    /// Runs `body` with an SDK client holding the admin key of a live server.
    static func live(_ body: @escaping @Sendable (APIHarness, GatehouseClient) async throws -> Void) async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("gh-sdk-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try await APIHarness.run(configuration: GatehouseConfiguration(port: 0, dataDirectory: directory), testing: .live) {
            api in
            let port = try #require(api.client.port)
            let client = try GatehouseClient(apiKey: api.key, baseURL: "http://localhost:\(port)", environment: [:])
            try await api.createProvider()
            try await body(api, client)
        }
    }

    @Test func aWaitEndsWhenTheCallbackCompletesOrTheUserDeclines() async throws {
        try await Self.live { api, client in
            let started = try await client.auth.start(userID: "alice", provider: "fake", scopes: ["read"])
            #expect(started.status == .pending)
            let waiting = Task { try await client.auth.waitForCompletion(started, timeout: .seconds(30)) }
            #expect(try await api.parked())
            let authorization: [String: Any] = ["url": try #require(started.url)]
            #expect(try await api.callback(for: authorization).status == .ok)
            let done = try await waiting.value
            #expect(done.status == .completed && done.context?.token?.isEmpty == false)

            // A declined consent ends the wait at once, with the reason.
            let declined = try await client.auth.start(userID: "bob", provider: "fake", scopes: ["read"])
            let refused = Task { try await client.auth.waitForCompletion(declined, timeout: .seconds(30)) }
            #expect(try await api.parked())
            _ = try await api.callback(for: ["url": try #require(declined.url)], extra: "&error=access_denied")
            await #expect {
                _ = try await refused.value
            } throws: { error in
                guard case .authorizationFailed(let response)? = error as? GatehouseClientError else { return false }
                return response.id == declined.id && response.statusReason?.isEmpty == false
            }
        }
    }

    /// An error answer names the request, so that its line in the server's log can be found.
    @Test func anErrorCarriesTheRequestIDTheServerLogged() async throws {
        try await Self.live { _, client in
            await #expect {
                _ = try await client.auth.status(id: "ac_0000000000000000000000")
            } throws: { error in
                guard let error = error as? GatehouseAPIError, error.kind == .notFound,
                    let id = error.requestID, !id.isEmpty
                else { return false }
                return "\(error)".hasSuffix("(request \(id))")
            }
        }
    }

    @Test func connectionsAreFilteredByUserAndSecretsKeptByKey() async throws {
        try await Self.live { api, client in
            for user in ["alice", "bob"] { _ = try await api.completedToken(user: user) }
            var alices: [String] = []
            for try await connection in client.admin.userConnections.all(userID: "alice", pageSize: 1) {
                alices.append(connection.userID)
            }
            #expect(alices == ["alice"])
            #expect(try await client.admin.userConnections.list(providerID: "fake").totalCount == 2)

            let stored = try await client.admin.secrets.upsert(key: "ORG", value: "acme-secret-value")
            #expect(try await client.admin.secrets.list().map(\.key) == ["ORG"])
            try await client.admin.secrets.delete(id: stored.id)
            #expect(try await client.admin.secrets.list().isEmpty)
        }
    }
}
