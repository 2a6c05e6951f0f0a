import Foundation
import GatehouseCore
import GatehouseTestSupport
import Testing

// Revoking keys from the dashboard keeps an admin key, decided in the store's transaction.
extension StoreContractTests {
    static func key(_ letter: Character, _ role: APIKeyRole) -> APIKeyRecord {
        APIKeyRecord(hash: String(repeating: letter, count: 64), name: "\(letter)", role: role, createdAt: Date())
    }

    @Test(arguments: StoreBackend.available)
    func theLastAdminKeyIsKeptWhenAsked(backend: StoreBackend) async throws {
        try await backend.withStore { store in
            for key in [Self.key("a", .admin), Self.key("b", .admin), Self.key("c", .app)] {
                try await store.insertAPIKey(key)
            }
            #expect(try await store.deleteAPIKeys(hashPrefix: "cccccccc", keepingAnAdmin: true) == 1)
            #expect(try await store.deleteAPIKeys(hashPrefix: "aaaaaaaa", keepingAnAdmin: true) == 1)
            #expect(try await store.deleteAPIKeys(hashPrefix: "bbbbbbbb", keepingAnAdmin: true) == nil)
            #expect(try await store.apiKeys().map(\.name) == ["b"])
            #expect(try await store.deleteAPIKeys(hashPrefix: "dddddddd", keepingAnAdmin: true) == 0)
            // The operator's commands may remove it (they can make another).
            #expect(try await store.deleteAPIKeys(hashPrefix: "bbbbbbbb") == 1)
        }
    }

    /// Two revocations of the last two admin keys at once: one goes, one is refused.
    @Test(arguments: StoreBackend.available)
    func twoRevocationsAtOnceLeaveAnAdminKey(backend: StoreBackend) async throws {
        try await backend.withStore { store in
            for round in 0..<5 {
                let (first, second): (Character, Character) = round % 2 == 0 ? ("a", "b") : ("b", "a")
                for key in [Self.key(first, .admin), Self.key(second, .admin)] { try await store.insertAPIKey(key) }
                async let one = store.deleteAPIKeys(hashPrefix: String(repeating: first, count: 8), keepingAnAdmin: true)
                async let other = store.deleteAPIKeys(hashPrefix: String(repeating: second, count: 8), keepingAnAdmin: true)
                let outcomes = [try await one, try await other]
                #expect(outcomes.contains(1) && outcomes.contains(nil), "round \(round): \(outcomes)")
                #expect(try await store.apiKeys().filter { $0.role == .admin }.count == 1)
                _ = try await store.deleteAPIKeys(hashPrefix: "aaaaaaaa")
                _ = try await store.deleteAPIKeys(hashPrefix: "bbbbbbbb")
            }
        }
    }
}
