import Foundation
import GatehouseCore
import GatehouseTestSupport
import Testing

extension ProviderGrantsContractTests {
    /// A change made from a row that has changed since is not written; one made from the row as
    /// it stands is.
    @Test(arguments: StoreBackend.available)
    func aChangeMadeFromAnOlderRowIsRefused(backend: StoreBackend) async throws {
        try await backend.withStore { store in
            let first = Self.record("p", description: "one")
            try await store.insertProvider(first)
            var second = Self.record("p", description: "two")
            second.updatedAt = first.updatedAt.addingTimeInterval(1)
            #expect(try await store.updateProvider(id: "p", with: second, unlessConnected: nil, basedOn: first.updatedAt) != nil)
            var third = Self.record("p", description: "three")
            third.updatedAt = first.updatedAt.addingTimeInterval(2)
            await #expect(throws: ProviderChangedMeanwhile.self) {
                _ = try await store.updateProvider(id: "p", with: third, unlessConnected: nil, basedOn: first.updatedAt)
            }
            #expect(try await store.provider(id: "p")?.description == "two")
            let read = try #require(try await store.provider(id: "p"))
            #expect(try await store.updateProvider(id: "p", with: third, unlessConnected: nil, basedOn: read.updatedAt) != nil)
            #expect(try await store.provider(id: "p")?.description == "three")
        }
    }
}
