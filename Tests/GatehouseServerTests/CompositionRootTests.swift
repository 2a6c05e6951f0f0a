import Foundation
import GatehouseCore
import GatehouseOutbound
import GatehouseServer
import Hummingbird
import HummingbirdTesting
import Logging
import Testing

/// What the composition root assembles as `serve` runs it, beyond the routes.
@Suite struct CompositionRootTests {
    /// A service group stops its services in the reverse of their order: the provider transport
    /// must come before the jobs that call providers, or at a shutdown it closes under them (a
    /// revocation in flight then counted as a failed try, or given up).
    @Test func theProviderTransportStopsAfterTheJobsThatCallProviders() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("gh-root-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let built = try await buildApplication(
            configuration: GatehouseConfiguration(port: 0, dataDirectory: directory),
            logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }))
        let services = built.app.services
        let transport = try #require(services.firstIndex { $0 is AsyncHTTPTransport })
        let retrier = try #require(services.firstIndex { $0 is RevocationRetrier })
        let sweep = try #require(services.firstIndex { $0 is RefreshSweep })
        #expect(transport < retrier)
        #expect(transport < sweep)
        // Run once, so that the store's own service closes the database.
        try await built.app.test(.router) { _ in }
    }
}
