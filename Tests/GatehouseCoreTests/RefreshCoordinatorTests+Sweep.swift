import Foundation
import GatehouseTestSupport
import Synchronization
import Testing

@testable import GatehouseCore

// The sweep's refresh of a connection and a request's at the same time.
extension RefreshCoordinatorTests {
    /// The sweep's refresh of a stale connection, held at the lease (`lease`, which every taking
    /// of the lease passes), with a request that joined it.
    func sweepWithAJoinedRequest(_ sqlite: any Store, _ client: CountingProviderClient, refreshToken: String? = "rt-0")
        async throws -> (
            stale: Connection, lease: Gate, sweeping: Task<Connection, any Error>, requesting: Task<Connection, any Error>
        )
    {
        let lease = Gate()
        let store = InterposedStore(
            sqlite,
            acquiring: { _, take in
                await lease.wait()
                return try await take()
            })
        let stale = try await storeStaleConnection(store, cipher: cipher, refreshToken: refreshToken)
        let refresher = coordinator(store, client)
        let sweeping = Task { try await refresher.refresh(stale, provider: testProvider, sweeping: true) }
        #expect(try await eventually { lease.arrivals == 1 })
        let requesting = Task { try await refresher.refresh(stale, provider: testProvider) }
        #expect(try await eventually { refresher.state.withLock { $0.inflight[stale.id]?.waiters.count } == 2 })
        return (stale, lease, sweeping, requesting)
    }

    /// The sweep leaves a connection without a refresh token as it is. A request that needs a
    /// fresh token for it joins the sweep's refresh, but does not take its answer, which is the
    /// expired token the request came with: it refreshes after it, and the provider's refusal
    /// sends the user to consent again.
    @Test func aRequestDoesNotTakeTheSweepsAnswerForAConnectionTheSweepLeaves() async throws {
        try await StoreBackend.withSQLite { sqlite in
            let client = CountingProviderClient()
            client.fail(with: ProviderCallError(.invalidGrant, "the provider issued no refresh token"))
            let held = try await sweepWithAJoinedRequest(sqlite, client, refreshToken: nil)
            held.lease.open()
            #expect(try await held.sweeping.value.version == held.stale.version)
            await #expect(performing: { try await held.requesting.value }, throws: needsConsent)
            #expect(client.refreshes == 1)
            #expect(try await sqlite.connection(id: held.stale.id)?.status == .reauthorizationRequired)
        }
    }

    /// Another replica's request found the grant refused since this replica's sweep read the
    /// connection: the sweep leaves the row as it is, without asking the provider again.
    @Test func theSweepLeavesARowMarkedForConsentSinceItReadIt() async throws {
        try await StoreBackend.withSQLite { store in
            let client = CountingProviderClient()
            client.fail(with: ProviderCallError(.invalidGrant, "revoked"))
            let stale = try await storeStaleConnection(store, cipher: cipher)
            await #expect(
                performing: { try await coordinator(store, client).refresh(stale, provider: testProvider) },
                throws: needsConsent)
            let swept = try await coordinator(store, client).refresh(stale, provider: testProvider, sweeping: true)
            #expect(swept.status == .reauthorizationRequired)
            #expect(client.refreshes == 1)
        }
    }

    /// A request that joins a sweep which does refresh gets the sweep's new token: one call at
    /// the provider, and no second refresh after it.
    @Test func aRequestThatJoinsARefreshingSweepTakesItsToken() async throws {
        try await StoreBackend.withSQLite { sqlite in
            let client = CountingProviderClient()
            let held = try await sweepWithAJoinedRequest(sqlite, client)
            held.lease.open()
            #expect(try token(of: try await held.requesting.value) == "refreshed-1")
            #expect(try token(of: try await held.sweeping.value) == "refreshed-1")
            #expect(client.refreshes == 1 && held.lease.arrivals == 1)
        }
    }

    /// Another replica found the grant refused while this replica's sweep waited for the lease: a
    /// request that joined the sweep hears that the user must consent again, without a second
    /// call to the provider.
    @Test func aRequestThatJoinsTheSweepOfARowMarkedSinceHearsItIsGone() async throws {
        try await StoreBackend.withSQLite { sqlite in
            let client = CountingProviderClient()
            client.fail(with: ProviderCallError(.invalidGrant, "revoked"))
            let held = try await sweepWithAJoinedRequest(sqlite, client)
            let other = coordinator(sqlite, client)
            await #expect(performing: { try await other.refresh(held.stale, provider: testProvider) }, throws: needsConsent)
            held.lease.open()
            #expect(try await held.sweeping.value.status == .reauthorizationRequired)
            await #expect(performing: { try await held.requesting.value }, throws: needsConsent)
            #expect(client.refreshes == 1)
        }
    }

    func needsConsent(_ error: any Error) -> Bool {
        if case RefreshCoordinator.Failure.reauthorizationRequired = error { return true }
        return false
    }
}
