import Foundation
import GatehouseWire

// Changing a provider through the API.
extension ProviderRegistry {
    /// Changes a provider by JSON Merge Patch (RFC 7396): absent fields stay as they are at every
    /// level of `oauth2`, `null` clears one (and `description` or `client_secret` at the top).
    /// It is made from the stored row, not this replica's cache (a cache another replica's change
    /// has not reached would undo that change, and could move a token endpoint back under stored
    /// grants unseen), and written only if the row is still the one it was made from; made again
    /// from the row as it is then, up to `patchTries` times.
    package func patch(id: String, with patch: ProviderPatch) async throws -> Provider {
        for _ in 1..<Self.patchTries {
            do {
                return try await apply(patch, id: id)
            } catch is ProviderChangedMeanwhile {
                continue
            }
        }
        do {
            return try await apply(patch, id: id)
        } catch is ProviderChangedMeanwhile {
            throw GatehouseError(
                .conflict,
                "auth provider '\(id)' kept changing while this change was applied (other changes at the same time); send it again"
            )
        }
    }

    /// How many times a patch is made again from a row that changed meanwhile.
    static let patchTries = 3

    private func apply(_ patch: ProviderPatch, id: String) async throws -> Provider {
        guard let stored = try await store.provider(id: id) else {
            throw GatehouseError.providerNotFound(id)
        }
        let current = try provider(from: stored)
        guard !listedInFile(current) else {
            throw GatehouseError(.forbidden, "auth provider '\(id)' comes from the config file; change it there")
        }
        var oauth2: OAuth2Config?
        let sameTemplate = patch.request.providerID == nil || patch.request.providerID == current.providerType
        if let given = patch.document["oauth2"], sameTemplate {
            guard case .object(var fields) = given else {
                throw GatehouseError.invalid("oauth2 cannot be cleared; send the fields to change, or delete the provider")
            }
            fields["client_secret"] = nil  // kept sealed apart from the template
            let base = try JSONDecoder().decode(JSONValue.self, from: JSONEncoder().encode(current.oauth2))
            do {
                oauth2 = try JSONDecoder().decode(
                    OAuth2Config.self, from: JSONEncoder().encode(base.merged(with: .object(fields))))
            } catch {
                throw GatehouseError.invalid("oauth2 after this patch is not a valid template: \(error)")
            }
        }
        let updated = try build(
            from: patch.request, base: current, source: .api, replacingOAuth2: oauth2,
            clearing: (
                description: patch.clears("description"),
                secret: patch.clears("client_secret") || patch.clears("client_secret", inOAuth2: true)
            ))
        // The stored grants' refresh and access tokens would go to the new place: refused while
        // there are any, checked in the store's transaction (as a rename is).
        let refusal = Self.newTokenDestinationRefusal(
            id: id, from: current.oauth2, to: updated.oauth2, tenant: patch.request.tenant)
        guard
            let replacement = try await writing({
                try await store.updateProvider(
                    id: id, with: record(for: updated), unlessConnected: refusal, basedOn: stored.updatedAt)
            })
        else {
            throw GatehouseError.providerNotFound(id)
        }
        await changed(failing: replacement, of: id)
        return updated
    }
}
