import Foundation
import GatehouseCore
import GatehouseServer
import GatehouseTestSupport
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Synchronization
import Testing

/// Retiring a root key: re-encrypt under the new default, drop the old key, and everything
/// still decrypts, refreshes and completes.
@Suite struct ReencryptTests {
    static let oldKey = GatehouseConfiguration.RootKeyEntry(
        id: "k1", value: Data(repeating: 1, count: 32).base64EncodedString(), isDefault: true)
    static let newKey = GatehouseConfiguration.RootKeyEntry(
        id: "k2", value: Data(repeating: 2, count: 32).base64EncodedString(), isDefault: true)

    func configuration(_ directory: String, keys: [GatehouseConfiguration.RootKeyEntry]) -> GatehouseConfiguration {
        GatehouseConfiguration(port: 0, dataDirectory: directory, rootKeys: keys)
    }

    func counts(_ directory: String, keys: [GatehouseConfiguration.RootKeyEntry]) async throws -> [SealedField.Kind: Reencryptor
        .Counts]
    {
        let store = try await OperatorStore.open(configuration(directory, keys: keys))
        let report = try await store.reencrypt()
        try await store.close()
        return Dictionary(uniqueKeysWithValues: report.kinds.map { ($0.kind, $0.counts) })
    }

    @Test func retiringTheOldKeyLosesNothing() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("gh-rekey-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let provider = FakeProvider()
        provider.setLifetime(1)
        let pending = Mutex<(url: String, key: String)?>(nil)

        // Everything written under k1.
        try await APIHarness.run(configuration: configuration(directory, keys: [Self.oldKey]), provider: provider) { api in
            try await api.createProvider()
            // A deleted connection whose grant the provider cannot revoke now: its tokens wait,
            // sealed, for the next try.
            provider.transport.respond { request in
                request.bareURL == FakeProvider.base + "/revoke" ? OutboundResponse(status: 503, headers: [:], body: []) : nil
            }
            let revocation = #"{"endpoint":"\#(FakeProvider.base)/revoke"}"#
            #expect(
                try await api.call(
                    .patch, "/v1/admin/auth_providers/fake",
                    json: #"{"oauth2":{"client_secret":"secret-1","token_revocation_request":\#(revocation)}}"#
                ).status == .ok)
            _ = try await api.completedToken(user: "carol")
            let list = try api.object(try await api.call(.get, "/v1/admin/user_connections?user_id=carol"))
            let carol = try #require((list["items"] as? [[String: Any]])?.first?["id"] as? String)
            #expect(try await api.call(.delete, "/v1/admin/user_connections/\(carol)").status == .noContent)
            // A provider deleted with a user's connection: kept, its secret sealed, for the
            // revocation of that grant.
            let retiring = FakeProvider.definition.replacingOccurrences(of: #""id":"fake""#, with: #""id":"gone""#)
                .replacingOccurrences(of: #""pkce":"#, with: #""token_revocation_request":\#(revocation),"pkce":"#)
            #expect(try await api.call(.post, "/v1/admin/auth_providers", json: retiring).status == .ok)
            let dave = try await api.authorize(user: "dave", provider: "gone")
            #expect(try await api.callback(for: dave, provider: "gone").status == .ok)
            #expect(try await api.call(.delete, "/v1/admin/auth_providers/gone").status == .ok)
            _ = try await api.completedToken(user: "alice")
            #expect(
                try await api.call(.post, "/v1/admin/secrets/github-token", json: #"{"value":"tool-secret-value"}"#).status == .ok
            )
            let url = try #require(try await api.authorize(user: "bob")["url"] as? String)
            pending.withLock { $0 = (url, api.key) }
        }
        let (url, key) = try #require(pending.withLock { $0 })

        // k2 becomes the default; k1 still decrypts while the command runs.
        let rotated = try await counts(
            directory,
            keys: [Self.newKey, GatehouseConfiguration.RootKeyEntry(id: "k1", value: Self.oldKey.value, isDefault: false)])
        #expect(rotated[.providerSecret]?.resealed == 1)
        #expect(rotated[.toolSecret]?.resealed == 1)
        #expect(rotated[.connectionTokens]?.resealed == 1 && rotated[.revocationTokens]?.resealed == 2)
        #expect(rotated[.retiredProviderSecret]?.resealed == 1)
        #expect((rotated[.flowURL]?.resealed ?? 0) >= 2 && (rotated[.flowVerifier]?.resealed ?? 0) >= 1)
        #expect(rotated.values.allSatisfy { $0.unreadable == 0 })

        // A run with only a key that opens none of it names the key the values need.
        let other = GatehouseConfiguration.RootKeyEntry(
            id: "k3", value: Data(repeating: 3, count: 32).base64EncodedString(), isDefault: true)
        let lost = try await counts(directory, keys: [other])
        #expect(lost[.providerSecret]?.unreadable == 1 && lost[.providerSecret]?.unreadableKeyIDs == ["k2"])

        // k1 removed: nothing is left under it, and a second run has nothing to do.
        let after = try await counts(directory, keys: [Self.newKey])
        #expect(after.values.allSatisfy { $0.resealed == 0 && $0.unreadable == 0 && $0.changed == 0 })
        #expect(after[.providerSecret]?.current == 1 && after[.connectionTokens]?.current == 1)
        #expect(after[.revocationTokens]?.current == 2 && after[.retiredProviderSecret]?.current == 1)

        // The server on k2 alone: the expired token refreshes, the pending flow completes. (The
        // first server may have refreshed too: its 1 s tokens go stale after 0.5 s, which a
        // loaded machine can take between the callback and the read after it.)
        let grantsBefore = provider.refreshGrants
        try await APIHarness.run(configuration: configuration(directory, keys: [Self.newKey]), provider: provider, key: key) {
            api in
            try await Task.sleep(for: .milliseconds(1100))
            let refreshed = try await api.authorize(user: "alice")
            #expect(refreshed["status"] as? String == "completed")
            #expect(provider.refreshGrants == grantsBefore + 1)
            let again = try await api.authorize(user: "bob")
            #expect(again["url"] as? String == url)
            #expect(try await api.callback(for: again).status == .ok)
            #expect(try await api.authorize(user: "bob")["status"] as? String == "completed")
        }
    }
}
