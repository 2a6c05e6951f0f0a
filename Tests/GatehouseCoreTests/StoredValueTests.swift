import Testing

@testable import GatehouseCore

/// A value a store holds that this build does not know (written by a newer release) reads as
/// the one that grants or serves least, on both stores (they read through these).
@Suite struct StoredValueTests {
    @Test func anUnknownStoredValueReadsAsTheLeast() {
        #expect(APIKeyRole(stored: "superuser") == .app)
        #expect(APIKeyRole(stored: "admin") == .admin)
        #expect(Flow.Status(stored: "paused") == .failed)
        #expect(Flow.Status(stored: "pending") == .pending)
        #expect(Connection.Status(stored: "suspended") == .reauthorizationRequired)
        #expect(Connection.Status(stored: "active") == .active)
    }
}
