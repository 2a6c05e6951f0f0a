import Foundation
import GatehouseTestSupport
import GatehouseWire
import Testing

@testable import GatehouseCore

/// A provider from a config file is that file's: the admin API may disable or delete it only
/// where the running file does not list it (a replica started without it).
@Suite struct ConfigProviderOwnershipTests {
    let cipher = try! TokenCipher(keys: [RootKey.generate(id: "k")], defaultKeyID: "k")

    static let cases: [(listed: Set<String>?, managed: Bool)] = [(nil, false), (["c"], false), ([], true)]

    @Test(arguments: cases)
    func theAPIManagesAConfigProviderOnlyWhereTheFileLeavesItOut(listed: Set<String>?, managed: Bool) async throws {
        try await StoreBackend.withSQLite { store in
            try await ProviderRegistry(store: store, cipher: cipher, catalog: ProviderCatalog([])).create(
                AuthProviderRequest(
                    id: "c", clientSecret: "s",
                    oauth2: OAuth2Config(
                        clientID: "id", authorizeRequest: RequestConfig(endpoint: "https://c.example/authorize"),
                        tokenRequest: RequestConfig(endpoint: "https://c.example/token"))), source: .config)
            let registry = ProviderRegistry(store: store, cipher: cipher, catalog: ProviderCatalog([]), fileProviders: listed)
            #expect(try await registry.unlistedConfigProviders(listed: listed ?? ["c"]) == (managed ? ["c"] : []))
            if managed {
                _ = try await registry.delete(id: "c")
                #expect(try await store.provider(id: "c") == nil)
            } else {
                let refused = await #expect(throws: GatehouseError.self) { try await registry.delete(id: "c") }
                #expect(refused?.code == .forbidden)
                #expect(try await store.provider(id: "c") != nil)
            }
        }
    }
}
