import Foundation
import GatehouseTestSupport
import GatehouseWire
import Synchronization
import Testing

@testable import GatehouseCore

/// A provider changed through the API while another change of it is made, here or on another
/// replica: neither undoes the other.
@Suite struct ProviderPatchRaceTests {
    let cipher = try! TokenCipher(keys: [RootKey.generate(id: "k")], defaultKeyID: "k")

    func patch(_ json: String) throws -> ProviderPatch {
        try JSONDecoder().decode(ProviderPatch.self, from: Data(json.utf8))
    }

    /// The provider as stored, read by a registry with nothing cached.
    func stored(in store: any Store) async throws -> Provider? {
        try await ProviderRegistry(store: store, cipher: cipher, catalog: ProviderCatalog([])).configured(id: "p")
    }

    /// Another change lands between this patch's read and its write: the patch is made again
    /// from the row as it is then, so both stand.
    @Test func aChangeMadeMeanwhileIsKept() async throws {
        try await StoreBackend.withSQLite { sqlite in
            let elsewhere = ProviderRegistry(store: sqlite, cipher: cipher, catalog: ProviderCatalog([]))
            try await elsewhere.create(refreshableProviderRequest(), source: .api)
            let interleave = Atomic(true)
            let writes = Atomic(0)
            let store = InterposedStore(
                sqlite,
                before: { [patch] method in
                    guard method == "updateProvider" else { return }
                    writes.add(1, ordering: .relaxed)
                    if interleave.exchange(false, ordering: .relaxed) {
                        _ = try await elsewhere.patch(id: "p", with: try patch(#"{"enabled":false,"client_secret":"rotated"}"#))
                    }
                })
            let here = ProviderRegistry(store: store, cipher: cipher, catalog: ProviderCatalog([]))
            _ = try await here.patch(id: "p", with: try patch(#"{"description":"renamed"}"#))
            let stored = try #require(try await stored(in: sqlite))
            #expect(stored.description == "renamed")
            #expect(!stored.enabled)
            #expect(stored.clientSecret == "rotated")
            #expect(writes.load(ordering: .relaxed) == 2)
        }
    }

    /// This replica's cache has not heard of another replica's change: a patch is made from the
    /// stored row, so it does not move the token endpoint back under the grants made since.
    @Test func aStaleCacheDoesNotUndoAnotherReplicasChange() async throws {
        try await StoreBackend.withSQLite { store in
            let clock = Mutex(Date())
            let here = ProviderRegistry(
                store: store, cipher: cipher, catalog: ProviderCatalog([]), now: { clock.withLock { $0 } })
            let elsewhere = ProviderRegistry(store: store, cipher: cipher, catalog: ProviderCatalog([]))
            try await elsewhere.create(refreshableProviderRequest(), source: .api)
            #expect(try await here.provider(id: "p")?.oauth2.tokenRequest?.endpoint == "https://p.example/token")
            _ = try await elsewhere.patch(
                id: "p",
                with: try patch(
                    #"{"client_secret":"s","oauth2":{"token_request":{"endpoint":"https://q.example/token"},"refresh_request":{"endpoint":"https://q.example/token"}}}"#
                ))
            _ = try await storeStaleConnection(store, cipher: cipher)
            clock.withLock { $0 += 1 }
            #expect(try await here.provider(id: "p")?.oauth2.tokenRequest?.endpoint == "https://p.example/token", "cached")
            _ = try await here.patch(id: "p", with: try patch(#"{"description":"renamed"}"#))
            let stored = try #require(try await stored(in: store))
            #expect(stored.description == "renamed")
            #expect(stored.oauth2.tokenRequest?.endpoint == "https://q.example/token")
            #expect(stored.oauth2.refreshRequest?.endpoint == "https://q.example/token")
        }
    }
}
