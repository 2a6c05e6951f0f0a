import Foundation
import GatehouseCore

// The calls tests make most, with the arguments the server always gives left out.
extension Store {
    /// Pending revocations due at `now`, soonest first, at most `limit`.
    package func dueRevocations(now: Date, limit: Int) async throws -> [PendingRevocation] {
        try await dueRevocations(now: now, limit: limit, excluding: [])
    }

    /// Removes a connection, with no revocation to follow; see `deleteConnection(id:queueing:)`.
    package func deleteConnection(id: String) async throws -> Connection? {
        try await deleteConnection(id: id, queueing: nil)
    }

    /// Removes a provider, with its connections, flows and pending revocations; see
    /// `deleteProvider(id:revokingAt:)`.
    package func deleteProvider(id: String) async throws -> ProviderRecord? {
        try await deleteProvider(id: id, revokingAt: nil)
    }
}
