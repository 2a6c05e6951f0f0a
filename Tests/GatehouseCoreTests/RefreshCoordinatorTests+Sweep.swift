import Foundation
import GatehouseTestSupport
import Synchronization
import Testing

@testable import GatehouseCore

// The sweep's refresh of a connection and a request's at the same time.
extension RefreshCoordinatorTests {
    /// The sweep leaves a connection without a refresh token as it is. A request that needs a
    /// fresh token for it joins the sweep's refresh, but does not take its answer, which is the
    /// expired token the request came with: it refreshes after it, and the provider's refusal
    /// sends the user to consent again.
    @Test func aRequestDoesNotTakeTheSweepsAnswerForAConnectionTheSweepLeaves() async throws {
        try await StoreBackend.withSQLite { sqlite in
            let gate = Gate()
            let takes = Atomic(0)
            let store = InterposedStore(
                sqlite,
                acquiring: { _, take in
                    // The first to take the lease, the sweep, waits at the gate first.
                    if takes.add(1, ordering: .relaxed).newValue == 1 { await gate.wait() }
                    return try await take()
                })
            let client = CountingProviderClient()
            client.fail(with: ProviderCallError(.invalidGrant, "the provider issued no refresh token"))
            let stale = try await storeStaleConnection(store, cipher: cipher, refreshToken: nil)
            let refresher = coordinator(store, client)
            let sweeping = Task { try await refresher.refresh(stale, provider: testProvider, sweeping: true) }
            #expect(try await eventually { takes.load(ordering: .relaxed) == 1 })
            let requesting = Task { try await refresher.refresh(stale, provider: testProvider) }
            #expect(try await eventually { refresher.state.withLock { $0.inflight[stale.id]?.waiters.count } == 2 })
            gate.open()
            #expect(try await sweeping.value.version == stale.version)
            await #expect(performing: { try await requesting.value }, throws: needsConsent)
            #expect(client.refreshes == 1)
            #expect(try await store.connection(id: stale.id)?.status == .reauthorizationRequired)
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
                performing: { try await coordinator(store, client).refresh(stale, provider: testProvider) }, throws: needsConsent)
            let swept = try await coordinator(store, client).refresh(stale, provider: testProvider, sweeping: true)
            #expect(swept.status == .reauthorizationRequired)
            #expect(client.refreshes == 1)
        }
    }

    /// A request that joins a sweep which does refresh gets the sweep's new token: one call at
    /// the provider, no second refresh after it.
    @Test func aRequestThatJoinsARefreshingSweepTakesItsToken() async throws {
        try await StoreBackend.withSQLite { sqlite in
            let gate = Gate()
            let takes = Atomic(0)
            let store = InterposedStore(
                sqlite,
                acquiring: { _, take in
                    if takes.add(1, ordering: .relaxed).newValue == 1 { await gate.wait() }
                    return try await take()
                })
            let client = CountingProviderClient()
            let stale = try await storeStaleConnection(store, cipher: cipher)
            let refresher = coordinator(store, client)
            let sweeping = Task { try await refresher.refresh(stale, provider: testProvider, sweeping: true) }
            #expect(try await eventually { takes.load(ordering: .relaxed) == 1 })
            let requesting = Task { try await refresher.refresh(stale, provider: testProvider) }
            #expect(try await eventually { refresher.state.withLock { $0.inflight[stale.id]?.waiters.count } == 2 })
            gate.open()
            #expect(try token(of: try await requesting.value) == "refreshed-1")
            #expect(try token(of: try await sweeping.value) == "refreshed-1")
            #expect(client.refreshes == 1 && takes.load(ordering: .relaxed) == 1)
        }
    }

    /// Another replica found the grant refused while this replica's sweep waited for the lease: a
    /// request that joined the sweep hears that the user must consent again, without a second
    /// call to the provider.
    @Test func aRequestThatJoinsTheSweepOfARowMarkedSinceHearsItIsGone() async throws {
        try await StoreBackend.withSQLite { sqlite in
            let gate = Gate()
            let takes = Atomic(0)
            let store = InterposedStore(
                sqlite,
                acquiring: { _, take in
                    if takes.add(1, ordering: .relaxed).newValue == 1 { await gate.wait() }
                    return try await take()
                })
            let client = CountingProviderClient()
            client.fail(with: ProviderCallError(.invalidGrant, "revoked"))
            let stale = try await storeStaleConnection(store, cipher: cipher)
            let refresher = coordinator(store, client)
            let sweeping = Task { try await refresher.refresh(stale, provider: testProvider, sweeping: true) }
            #expect(try await eventually { takes.load(ordering: .relaxed) == 1 })
            let requesting = Task { try await refresher.refresh(stale, provider: testProvider) }
            #expect(try await eventually { refresher.state.withLock { $0.inflight[stale.id]?.waiters.count } == 2 })
            let other = coordinator(sqlite, client)
            await #expect(performing: { try await other.refresh(stale, provider: testProvider) }, throws: needsConsent)
            gate.open()
            #expect(try await sweeping.value.status == .reauthorizationRequired)
            await #expect(performing: { try await requesting.value }, throws: needsConsent)
            #expect(client.refreshes == 1)
        }
    }

    func needsConsent(_ error: any Error) -> Bool {
        if case RefreshCoordinator.Failure.reauthorizationRequired = error { return true }
        return false
    }
}
