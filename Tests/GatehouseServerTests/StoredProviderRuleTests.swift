import Foundation
import GatehouseCore
import GatehouseServer
import GatehouseTestSupport
import Logging
import Testing

@testable import GatehouseSQLite

/// Provider rows that an older Gatehouse could have stored, which today's rules refuse: the server
/// starts, serves them as inactive, says why and how to fix them, and lets an admin do it.
@Suite struct StoredProviderRuleTests {
    @Test func aStoredTemplateThatBreaksTheRulesServesNoFlow() async throws {
        // A row as an older Gatehouse could have stored it: the secret in the authorize URL.
        let template =
            #"{"client_id":"c","authorize_request":{"endpoint":"https://idp.example/authorize","params":{"x":"{{client_secret}}"}},"token_request":{"endpoint":"https://idp.example/token"}}"#
        let warnings = try await Self.serving(storedProvider: "old", template: template) { api in
            let response = try await api.call(
                .post, "/v1/auth/authorize", json: #"{"auth_requirement":{"id":"old"},"user_id":"u"}"#)
            #expect(response.status == .badRequest)
            #expect((try api.object(response)["message"] as? String)?.contains("breaks a security rule") == true)
            // The admin still sees it, to fix it.
            #expect(try await api.call(.get, "/v1/admin/auth_providers/old").status == .ok)
        }
        #expect(
            warnings.contains {
                $0.contains("'old' is served as inactive") && $0.contains("{{client_secret}}")
                    && $0.contains("PATCH /v1/admin/auth_providers/old")
            })
    }

    // Before session 33 a user info request that named no method was checked as a POST, and sent
    // as the GET it is: its params, the access token among them, went in the URL.
    @Test func aStoredUserInfoRequestThatGetsATokenInItsURLIsServedInactiveUntilPatched() async throws {
        let template =
            #"{"client_id":"c","authorize_request":{"endpoint":"https://idp.example/authorize"},"token_request":{"endpoint":"https://idp.example/token"},"user_info_request":{"endpoint":"https://idp.example/me","params":{"t":"{{access_token}}"}}}"#
        let warnings = try await Self.serving(storedProvider: "leaky", template: template) { api in
            let authorize = #"{"auth_requirement":{"id":"leaky"},"user_id":"u"}"#
            #expect(try await api.call(.post, "/v1/auth/authorize", json: authorize).status == .badRequest)
            // The fix the warning names: the token in a header (the default bearer), not the URL.
            let patched = try await api.call(
                .patch, "/v1/admin/auth_providers/leaky", json: #"{"oauth2":{"user_info_request":{"params":{"t":null}}}}"#)
            #expect(patched.status == .ok, "\(String(buffer: patched.body))")
            #expect(try await api.call(.post, "/v1/auth/authorize", json: authorize).status == .ok)
        }
        #expect(
            warnings.contains {
                $0.contains("'leaky' is served as inactive")
                    && $0.contains("user_info_request.params.t may not use {{access_token}} with method GET (what it sends")
            })
    }

    // Its callback path, /v1/oauth/complete/callback, is the continuation's route: no flow could finish.
    @Test func aStoredProviderWithAReservedIDServesNoFlowAndCanBeDeleted() async throws {
        let template =
            #"{"client_id":"c","authorize_request":{"endpoint":"https://idp.example/authorize"},"token_request":{"endpoint":"https://idp.example/token"}}"#
        let warnings = try await Self.serving(storedProvider: "complete", template: template) { api in
            let response = try await api.call(
                .post, "/v1/auth/authorize", json: #"{"auth_requirement":{"id":"complete"},"user_id":"u"}"#)
            #expect(response.status == .badRequest)
            #expect(try await api.call(.delete, "/v1/admin/auth_providers/complete").status == .ok)
            #expect(try await api.call(.get, "/v1/admin/auth_providers/complete").status == .notFound)
        }
        #expect(
            warnings.contains {
                $0.contains("'complete' is served as inactive") && $0.contains("reserved") && $0.contains("another id")
            })
    }

    /// Runs `body` against a server started on a store that holds one provider row, written as
    /// an older Gatehouse could have; returns the start's warnings.
    private static func serving(
        storedProvider id: String, template: String, _ body: @escaping @Sendable (APIHarness) async throws -> Void
    ) async throws -> [String] {
        let directory = try await dataDirectory(withStoredProvider: id, template: template)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        return try await APIHarness.run(configuration: GatehouseConfiguration(port: 0, dataDirectory: directory), body)
    }

    /// A data directory whose store holds one provider row.
    private static func dataDirectory(withStoredProvider id: String, template: String) async throws -> String {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("gh-old-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let store = try await SQLiteStore.open(path: directory + "/gatehouse.sqlite", logger: Logger(label: "test"))
        do {
            try await store.insertProvider(
                ProviderRecord(
                    id: id, description: nil, providerType: "", enabled: true, source: "api",
                    templateJSON: Array(template.utf8), sealedSecret: nil, secretHint: nil, createdAt: Date(),
                    updatedAt: Date()))
        } catch {
            try? await store.close()
            throw error
        }
        try await store.close()
        return directory
    }
}
