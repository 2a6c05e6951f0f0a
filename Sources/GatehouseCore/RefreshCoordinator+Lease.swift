import Foundation
import GatehouseWire
import Logging

// The refresh while the lease is held: the provider's calls and the write, with the lease kept
// alive until the new tokens are stored.
extension RefreshCoordinator {
    /// Refreshes `held` at the provider and stores the result, freeing the lease.
    func refreshAndStore(_ held: Connection, tokens: TokenSet, provider: Provider, context: String) async throws
        -> Connection
    {
        let refreshed = try await client.refresh(
            provider: provider, tokens: tokens, known: held.userInfo,
            redirectURI: settings.redirectURI(providerID: provider.id))
        var info = held.userInfo
        if let fetched = try? await client.userInfo(
            provider: provider, tokens: refreshed, known: held.userInfo, onRefresh: true)
        {
            // A refresh answer may say only part of it (Salesforce's instance_url): what it
            // does not say is kept.
            info = (info ?? [:]).merging(fetched) { $1 }
        }
        var updated = held
        updated.sealedTokens = try cipher.seal(json: refreshed, context: context)
        updated.expiresAt = refreshed.expiresAt
        updated.userInfo = info
        if let scopes = refreshed.scopes, !scopes.isEmpty {
            updated.scopes = provider.grantedScopes(answered: scopes, requested: held.scopes)
        }
        updated.updatedAt = now()
        updated.status = .active
        // Persist before the lease is freed, so no one refreshes with the old token.
        let stored: Connection
        if let written = try await storingRefresh(updated) {
            stored = written
        } else {
            guard let current = try await store.connection(id: held.id) else {
                await revokeOrphan(updated, provider: provider)
                throw Failure.gone
            }
            if current.sealedTokens == updated.sealedTokens {
                // A try whose answer was lost had written it (the seal's nonce is random: no
                // one else wrote these bytes).
                stored = current
            } else if current.version != held.version, current.status == .active,
                let tokens = try? cipher.open(TokenSet.self, from: current.sealedTokens, context: context),
                tokens.staleAt(skew: settings.refreshSkew) > now()
            {
                // A new consent replaced the grant meanwhile (it ends the lease): its token
                // serves. (The grant refreshed here is not revoked: at some providers that
                // would end the new one too.)
                return current
            } else {
                // Or the lease lapsed while the store could not be reached to renew it.
                throw Failure.unavailable("the refresh lease lapsed before the new token was stored", retryAt: now())
            }
        }
        await connections.changed(held.id, announcingThrough: store)
        state.withLock { $0.backoff[held.id] = nil }
        telemetry.refreshed(provider: provider.id, outcome: .ok)
        logger.info("refreshed token", metadata: ["connection": "\(held.id)", "provider": "\(provider.id)"])
        return stored
    }

    /// Writes a refresh's result, trying again while the store cannot be reached, for up to one
    /// lease length from the first failure. The provider may have rotated the refresh token: one
    /// that is not stored is lost, and the user must consent again. The write checks that the
    /// lease is still held and the row unchanged, so a try that follows one whose answer was
    /// lost finds the row already written (nil), which the caller reads back.
    private func storingRefresh(_ updated: Connection) async throws -> Connection? {
        let retry = OutageRetry(
            limit: .seconds(settings.leaseDuration), logger: logger, metadata: ["connection": "\(updated.id)"],
            failed: "could not store a refreshed token; trying again", recovered: "stored the refreshed token",
            gaveUp: "could not store a refreshed token: if the provider rotates refresh tokens, the user must consent again")
        return try await retry.run { try await store.completeRefresh(updated, owner: owner) }
    }

    /// Revokes, when the template says how, the grant a provider renewed for a connection that
    /// was deleted during the refresh (`renewed`: the row with the new tokens): the delete ended
    /// the one it knew of. Queued first, under an id of its own, so a failed try is tried again
    /// as the delete's own revocation is.
    private func revokeOrphan(_ renewed: Connection, provider: Provider) async {
        guard let destination = provider.revocationDestination else { return }
        var orphan = renewed
        // An id of its own: two refreshes of the connection (a lapsed lease) keep one each.
        orphan.id = renewed.id + PendingRevocation.renewedSuffix + "-" + SecureRandom.token(bytes: 6)
        let pending = PendingRevocation(of: orphan, RevocationOrder(deletedAt: now(), destination: destination))
        logger.info(
            "a connection deleted during its refresh: revoking the grant the provider renewed",
            metadata: ["connection": "\(renewed.id)", "provider": "\(provider.id)"])
        do {
            try await store.queueRevocation(pending)
        } catch {
            logger.warning(
                "could not keep the revocation of a renewed grant for later tries; trying it once",
                metadata: ["connection": "\(renewed.id)", "error": "\(error)"])
        }
        _ = await revoker.attempt(pending, at: .success(provider))
    }

    /// Runs `work` while renewing the lease every third of its duration. A refresh may take
    /// several calls to the provider (the refresh, an introspection, the user info), each up to
    /// the transport's timeout: a lease that lapsed meanwhile would let another replica refresh
    /// with the same refresh token, which a provider that rotates them answers by ending the
    /// grant. A renewal that fails is tried again at the next third; the write checks that the
    /// lease is still held.
    func renewingLease<T: Sendable>(of connectionID: String, _ work: () async throws -> T) async throws -> T {
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { [store, owner, settings, now, logger] in
                let interval = Duration.seconds(settings.leaseDuration / 3)
                while true {
                    do {
                        try await Task.sleep(for: interval)
                    } catch {
                        return
                    }
                    do {
                        guard
                            try await store.renewRefreshLease(
                                connectionID: connectionID, owner: owner, lasting: settings.leaseDuration, now: now())
                        else { return }
                    } catch {
                        logger.debug(
                            "could not renew a refresh lease", metadata: ["connection": "\(connectionID)", "error": "\(error)"])
                    }
                }
            }
            defer { group.cancelAll() }
            return try await work()
        }
    }

    /// A refresh that failed for a connection deleted meanwhile says so: the caller must not
    /// hand out the token it had, since the delete has answered.
    func goneIfDeleted(_ failure: any Error, connectionID: String) async -> any Error {
        switch failure {
        case Failure.unavailable, Failure.refused:
            do {
                guard try await store.connection(id: connectionID) == nil else { return failure }
                return Failure.gone
            } catch {
                // A read that fails says nothing either way: the failure stands.
                return failure
            }
        default:
            return failure
        }
    }
}
