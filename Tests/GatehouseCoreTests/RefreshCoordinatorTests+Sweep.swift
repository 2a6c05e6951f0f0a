import Foundation
import GatehouseTestSupport
import Synchronization
import Testing

@testable import GatehouseCore

// The sweep's refresh of a connection and a request's at the same time.
extension RefreshCoordinatorTests {
    /// The sweep leaves a connection without a refresh token as it is. A request that needs a
    /// fresh token for it meanwhile does not take the sweep's answer, which is the expired token
    /// it came with: it refreshes, and the provider's refusal sends the user to consent again.
    /// The sweep, which waited for the lease, then leaves the row the request marked.
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
            // The request refreshes while the sweep is held at the lease.
            let refreshedAlone = try await eventually { client.refreshes == 1 }
            gate.open()
            #expect(refreshedAlone)
            await #expect(performing: { try await requesting.value }, throws: needsConsent)
            let swept = try await sweeping.value
            #expect(swept.status == .reauthorizationRequired)
            #expect(client.refreshes == 1)
            #expect(try await store.connection(id: stale.id)?.status == .reauthorizationRequired)
        }
    }

    func needsConsent(_ error: any Error) -> Bool {
        if case RefreshCoordinator.Failure.reauthorizationRequired = error { return true }
        return false
    }
}
