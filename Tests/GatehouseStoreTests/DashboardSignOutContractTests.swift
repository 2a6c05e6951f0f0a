import Foundation
import GatehouseCore
import GatehouseTestSupport
import Testing

/// The `Store` contract for the dashboard's sign-outs, on every backend.
@Suite struct DashboardSignOutContractTests {
    @Test(arguments: StoreBackend.available)
    func aSignOutIsKeptUntilItsSessionLapses(backend: StoreBackend) async throws {
        try await backend.withStore { store in
            let now = Date()
            #expect(try await !store.dashboardSessionEnded("s1"))
            try await store.endDashboardSession("s1", until: now.addingTimeInterval(60))
            try await store.endDashboardSession("s1", until: now.addingTimeInterval(60))  // twice: no error
            try await store.endDashboardSession("s2", until: now.addingTimeInterval(7200))
            #expect(try await store.dashboardSessionEnded("s1"))
            #expect(try await !store.dashboardSessionEnded("s3"))
            #expect(try await store.deleteLapsedDashboardSignOuts(before: now) == 0)
            #expect(try await store.deleteLapsedDashboardSignOuts(before: now.addingTimeInterval(61)) == 1)
            #expect(try await !store.dashboardSessionEnded("s1"))
            #expect(try await store.dashboardSessionEnded("s2"))
        }
    }
}
