import Foundation
import GatehouseTestSupport
import GatehouseWire
import Synchronization
import Testing

@testable import GatehouseCore

extension GrantWriteTests {
    /// Another replica deletes the user's connection (its revocation queued under the
    /// connection's id) between the callback's read of it and the grant's write: the new grant is
    /// a new connection, under an id of its own, so that deleting it queues its revocation too,
    /// where reusing the old id was refused by the queued revocation's key (a 500).
    @Test func aGrantStoredAfterItsConnectionWasDeletedMeanwhileHasAnIdOfItsOwn() async throws {
        try await StoreBackend.withSQLite { sqlite in
            let first = try await consent(try await broker(sqlite))
            #expect(first.1 == .success(providerID: "p"))
            let old = try #require(try await sqlite.connection(userID: "u", providerID: "p"))
            let deleteFirst = Atomic(true)
            let store = InterposedStore(
                sqlite,
                completingFlow: { _, write in
                    if deleteFirst.exchange(false, ordering: .relaxed) {
                        let order = RevocationOrder(deletedAt: Date(), destination: "https://p.example")
                        #expect(try await sqlite.deleteConnection(id: old.id, queueing: order) != nil)
                    }
                    return try await write()
                })
            let broker = try await broker(store)
            // A scope the grant does not have: a new consent.
            let started = try await broker.authorize(
                AuthorizationRequest(authRequirement: .init(providerID: "p", oauth2: .init(scopes: ["b"])), userID: "u"))
            let state = try #require(started.url.flatMap { URLComponents(string: $0)?.queryItems?.first?.value })
            let outcome = await broker.callback(providerID: "p", query: ["state": state, "code": "c"])
            #expect(outcome == .success(providerID: "p"))
            let new = try #require(try await sqlite.connection(userID: "u", providerID: "p"))
            #expect(new.id != old.id)
            let order = RevocationOrder(deletedAt: Date(), destination: "https://p.example")
            #expect(try await sqlite.deleteConnection(id: new.id, queueing: order)?.id == new.id)
            #expect(Set(try await sqlite.dueRevocations(now: .distantFuture, limit: 10).map(\.id)) == [old.id, new.id])
        }
    }
}
