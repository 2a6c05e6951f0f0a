import Foundation
import GatehouseTestSupport
import GatehouseWire
import Synchronization
import Testing

@testable import GatehouseCore

/// The provider cache of a replica that cannot hear the others (its change channel is down)
/// keeps what it read for a second only.
@Suite struct ProviderRegistryChannelTests {
    let cipher = try! TokenCipher(keys: [RootKey.generate(id: "k")], defaultKeyID: "k")

    @Test(arguments: [true, false])
    func anotherReplicasDeleteIsSeenWithinASecondWhileTheChannelIsDown(channelUp: Bool) async throws {
        try await StoreBackend.withSQLite { store in
            let clock = Mutex(Date(timeIntervalSince1970: 1_000))
            let here = ProviderRegistry(
                store: store, cipher: cipher, catalog: ProviderCatalog([]), channelUp: channelUp,
                now: { clock.withLock { $0 } })
            let elsewhere = ProviderRegistry(store: store, cipher: cipher, catalog: ProviderCatalog([]))
            try await elsewhere.create(
                AuthProviderRequest(
                    id: "p", clientSecret: "s",
                    oauth2: OAuth2Config(
                        clientID: "c", authorizeRequest: RequestConfig(endpoint: "https://p.example/authorize"),
                        tokenRequest: RequestConfig(endpoint: "https://p.example/token"))), source: .api)
            #expect(try await here.provider(id: "p") != nil)
            _ = try await elsewhere.delete(id: "p")
            clock.withLock { $0 += 0.5 }
            #expect(try await here.provider(id: "p") != nil, "served from memory")
            clock.withLock { $0 += 0.6 }
            // Up, the channel would have said so; until then the entry lives its 30 s.
            #expect(try await here.provider(id: "p") == nil ? !channelUp : channelUp)
        }
    }
}
