import Foundation
import GatehouseWire
import Logging

// Deleting a connection: forgotten on every replica first, then ended at the provider when its
// template says how.
extension AuthBroker {
    /// Deletes a connection (the admin API's `DELETE /v1/admin/user_connections/{id}`, the
    /// dashboard): gone from the store and from every replica's cache before anything else, so no
    /// token of it is handed out once this returns. Then, when the provider's template has a
    /// `token_revocation_request`, the grant is revoked at the provider (RFC 7009). The delete
    /// stands whatever the provider answers: a failed revocation is logged at warning and counted
    /// in `gatehouse_provider_call_duration_seconds{call="revocation",outcome="error"}`, never
    /// the delete's error. False when there was no such connection.
    package func deleteConnection(id: String) async throws -> Bool {
        let connection = try await store.connection(id: id)
        guard try await connections.delete(id: id, from: store) else { return false }
        if let connection { await revokeGrant(of: connection) }
        return true
    }

    private func revokeGrant(of connection: Connection) async {
        let metadata: Logger.Metadata = ["provider": "\(connection.providerID)", "connection": "\(connection.id)"]
        do {
            guard let provider = try await providers.provider(id: connection.providerID),
                provider.oauth2.tokenRevocationRequest != nil
            else { return }
            let tokens = try cipher.open(
                TokenSet.self, from: connection.sealedTokens,
                context: Connection.cipherContext(providerID: connection.providerID, userID: connection.userID))
            guard try await client.revoke(provider: provider, tokens: tokens, known: connection.userInfo) else { return }
            logger.info("connection deleted and its grant revoked at the provider", metadata: metadata)
        } catch {
            let reason = (error as? ProviderCallError)?.message ?? String(describing: error)
            logger.warning(
                "connection deleted, but the provider did not revoke its grant; end it at the provider if it must end now",
                metadata: metadata.merging(["reason": "\(reason)"]) { $1 })
        }
    }
}
