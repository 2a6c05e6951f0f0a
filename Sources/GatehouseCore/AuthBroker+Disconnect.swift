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
    /// Deleted, but the provider did not revoke the grant, for this reason.
    case notRevoked(String)
}

// Deleting a connection: forgotten on every replica first, then ended at the provider when its
// template says how.
extension AuthBroker {
    /// Deletes a connection (the admin API's `DELETE /v1/admin/user_connections/{id}`, the
    /// dashboard): gone from the store and from every replica's cache before anything else, so no
    /// token of it is handed out once this returns. Then, when the provider's template has a
    /// `token_revocation_request`, the grant is revoked at the provider (RFC 7009). The delete
    /// stands whatever the provider answers: a failed revocation is logged at warning and counted
    /// in `gatehouse_provider_call_duration_seconds{call="revocation",outcome="error"}`, never
    /// the delete's error.
    package func deleteConnection(id: String) async throws -> ConnectionDeletion {
        // The provider is read before the delete: a store that fails to answer then fails the
        // delete with nothing done, where after it the tokens would be gone unrevoked.
        guard let before = try await store.connection(id: id) else { return .notFound }
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
        // The row as deleted, not as read before: a refresh that landed in between stored the
        // token set that is revoked.
        guard let connection = try await connections.delete(id: id, from: store) else { return .notFound }
        return await revokeGrant(of: connection, at: provider)
    }

    private func revokeGrant(of connection: Connection, at provider: Provider?) async -> ConnectionDeletion {
        let metadata: Logger.Metadata = ["provider": "\(connection.providerID)", "connection": "\(connection.id)"]
        do {
            guard let provider, provider.oauth2.tokenRevocationRequest != nil else { return .deleted }
            let tokens = try cipher.open(
                TokenSet.self, from: connection.sealedTokens,
                context: Connection.cipherContext(providerID: connection.providerID, userID: connection.userID))
            guard try await client.revoke(provider: provider, tokens: tokens, known: connection.userInfo) else {
                return .deleted
            }
            logger.info("connection deleted and its grant revoked at the provider", metadata: metadata)
            return .revoked
        } catch {
            let reason = (error as? ProviderCallError)?.message ?? String(describing: error)
            logger.warning(
                "connection deleted, but the provider did not revoke its grant; end it at the provider if it must end now",
                metadata: metadata.merging(["reason": "\(reason)"]) { $1 })
            return .notRevoked(reason)
        }
    }
}
