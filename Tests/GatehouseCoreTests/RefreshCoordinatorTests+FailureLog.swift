import Foundation
import GatehouseTestSupport
import Logging
import Testing

@testable import GatehouseCore

extension RefreshCoordinatorTests {
    /// A provider that is down, or refuses the client's credentials, fails the refresh of every
    /// connection used: said once per provider and kind within 10 s, not once per connection.
    @Test(arguments: [(ProviderCallError.Kind.transient, Logger.Level.warning), (.configuration, .error)])
    func aProvidersTroubleIsSaidOnceNotOncePerConnection(kind: ProviderCallError.Kind, level: Logger.Level)
        async throws
    {
        try await StoreBackend.withSQLite { store in
            let client = CountingProviderClient()
            client.fail(with: ProviderCallError(kind, "the provider is away"))
            let recorder = LogRecorder()
            let refresher = coordinator(store, client, logger: recorder.logger(level: .info))
            for user in 0..<20 {
                let stale = try await storeStaleConnection(store, cipher: cipher, user: "u\(user)")
                await #expect(throws: RefreshCoordinator.Failure.self) {
                    try await refresher.refresh(stale, provider: testProvider)
                }
            }
            #expect(client.refreshes == 20, "each connection tried once")
            let said = recorder.logged.filter { $0.message.contains("backing off") }
            #expect(said.count == 1, "\(said.map(\.message))")
            #expect(said.first?.level == level)
            #expect(said.first?.metadata["provider"] == testProvider.id)
            #expect(said.first?.metadata["reason"] == "the provider is away")
        }
    }
}
