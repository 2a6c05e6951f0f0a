import Foundation
import GatehouseWire
import Logging

/// What deleting a connection did.
package enum ConnectionDeletion: Sendable, Equatable {
    /// There was no such connection.
    case notFound
    /// Deleted; its template has no revocation request.
    case deleted
    /// Deleted, and the grant revoked at the provider.
    case revoked
    /// Deleted, but the provider refused to revoke the grant, for this reason; not tried again.
    case notRevoked(String)
    /// Deleted; the revocation failed for a reason that may pass (the provider unreachable, a
    /// 5xx, refused credentials), and is tried again (`RevocationRetrier`).
    case revocationPending(String)
}

// Deleting a connection: forgotten on every replica first, then ended at the provider when its
// template says how.
extension AuthBroker {
    /// Whether deleting `connection` now would revoke its grant: its provider serves (a template
    /// that breaks a rule of today's does not) and has a revocation request. What the delete
    /// below decides, for the dashboard to say before it.
    package func deletionRevokes(_ connection: Connection) async throws -> Bool {
        try await providers.provider(id: connection.providerID)?.revocationDestination != nil
    }

    /// Deletes a connection (the admin API's `DELETE /v1/admin/user_connections/{id}`, the
    /// dashboard): gone from the store and from every replica's cache before anything else, so no
    /// token of it is handed out once this returns. Then, when the provider's template has a
    /// `token_revocation_request`, the grant is revoked at the provider (RFC 7009): the delete
    /// writes a `PendingRevocation` in its own transaction, tried here at once and, until the
    /// provider has revoked the grant or refused for good, again by the `RevocationRetrier`. The
    /// delete stands whatever the provider answers: a failed revocation is logged at warning and
    /// counted in `gatehouse_revocations_total`, never the delete's error.
    package func deleteConnection(id: String) async throws -> ConnectionDeletion {
        try await disconnect(id: id)?.outcome ?? .notFound
    }

    /// `deleteConnection(id:)`, with the provider of the connection deleted (for the audit
    /// trail, once the row is gone); nil when there was no such connection.
    package func disconnect(id: String) async throws -> (providerID: String, outcome: ConnectionDeletion)? {
        // The provider is read before the delete: a store that fails to answer then fails the
        // delete with nothing done, where after it the tokens would be gone unrevoked.
        guard let before = try await store.connection(id: id) else { return nil }
        let provider: Provider?
        do {
            provider = try await providers.provider(id: before.providerID)
        } catch let error as GatehouseError where error.code == .storeUnavailable {
            throw error
        } catch {
            // A stored provider this build cannot read (a damaged row) does not keep the
            // connection: it is deleted, and not revoked.
            logger.warning(
                "could not read the provider of a connection being deleted; its grant is not revoked",
                metadata: ["connection": "\(id)", "error": "\(error)"])
            provider = nil
        }
        let order = provider?.revocationDestination.map { RevocationOrder(deletedAt: now(), destination: $0) }
        // The row as deleted, not as read before: a refresh that landed in between stored the
        // token set that is revoked.
        guard let connection = try await connections.delete(id: id, from: store, queueing: order) else { return nil }
        guard let order else { return (connection.providerID, .deleted) }
        // The delete's own try is sent whatever other grants the user holds (later tries, of a
        // revocation whose user connected again meanwhile, are not: `RevocationRetrier`).
        let pending = PendingRevocation(of: connection, order)
        let outcome: ConnectionDeletion =
            switch await refresher.revoker.attempt(pending, at: .success(provider), checkingOtherGrants: false) {
            case .revoked: .revoked
            case .refused(let reason), .gaveUp(let reason): .notRevoked(reason)
            case .superseded: .notRevoked(RevocationOutcome.supersededReason)
            case .postponed(let reason): .revocationPending(reason)
            }
        return (connection.providerID, outcome)
    }
}
