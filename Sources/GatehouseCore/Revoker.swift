import Foundation
import GatehouseWire
import Logging

/// Revokes deleted connections' grants at their providers: one try at a `PendingRevocation`,
/// its outcome recorded in the store. Used by the delete (at once), by a refresh that outlived
/// its connection, and by the `RevocationRetrier`.
package struct Revoker: Sendable {
    let store: any Store
    let client: any ProviderClient
    let cipher: TokenCipher
    let settings: BrokerSettings
    let telemetry: Telemetry
    let logger: Logger
    let now: @Sendable () -> Date

    /// Tries a pending revocation once at its provider (`provider` is how reading it went: nil
    /// when it is gone), unless (`checkingOtherGrants`) the user holds another grant of the same
    /// client (`superseded`), and records the outcome: the row is removed once the provider
    /// revoked the grant, refused for good, or the tries ran out; otherwise it is due again after
    /// `settings.revocationRetryInterval`, doubled for each earlier failure, up to an hour.
    package func attempt(
        _ pending: PendingRevocation, at provider: Result<Provider?, any Error>, checkingOtherGrants: Bool = true
    ) async -> RevocationOutcome {
        let outcome: RevocationOutcome
        do {
            // Past the tries' time, a revocation that failed before is not sent again; one never
            // tried (its first try died with its process) gets its one try.
            guard pending.attempts == 0 || now() < pending.createdAt.addingTimeInterval(settings.revocationGiveUp) else {
                throw GaveUp(reason: pending.lastError ?? "no try ended")
            }
            guard let provider = try provider.get(), let destination = provider.revocationDestination else {
                throw ProviderCallError(.rejected, "its provider is gone, or no longer has a token_revocation_request")
            }
            // Tokens go only where they would have gone at the delete: not to another server
            // that took the provider's id, or that its template now names.
            guard destination == pending.destination else {
                throw ProviderCallError(
                    .rejected,
                    "its provider's revocation endpoint moved from \(pending.destination) to \(destination) since the delete; the tokens are not sent there"
                )
            }
            // The user holds another grant of the client (connected again since the delete, or
            // under another provider id): at some providers (Google) revoking one grant ends
            // every grant of the client for that user.
            if checkingOtherGrants, try await holdsAGrant(ofTheSameClient: provider, as: pending) { throw Superseded() }
            let tokens = try cipher.open(
                TokenSet.self, from: pending.sealedTokens,
                context: Connection.cipherContext(providerID: pending.providerID, userID: pending.userID))
            guard try await client.revoke(provider: provider, tokens: tokens, known: pending.userInfo) else {
                throw ProviderCallError(.rejected, "its provider has no revocation endpoint")
            }
            outcome = .revoked
        } catch let error as GaveUp {
            outcome = .gaveUp(error.reason)
        } catch is Superseded {
            outcome = .superseded
        } catch let error as ProviderCallError where error.kind == .rejected || error.kind == .invalidGrant {
            outcome = .refused(error.message)
        } catch {
            // Unreachable, a 5xx or 429, refused client credentials (the operator may mend
            // them), tokens that need a root key not configured now, a provider not readable now.
            let reason = (error as? ProviderCallError)?.message ?? String(describing: error)
            outcome =
                now() >= pending.createdAt.addingTimeInterval(settings.revocationGiveUp)
                ? .gaveUp(reason) : .postponed(reason)
        }
        telemetry.revocationTried(provider: pending.providerID, outcome: outcome)
        await record(outcome, of: pending)
        return outcome
    }

    /// Whether `pending`'s user has a connection, under any provider id, of `provider`'s client
    /// (the same client id at the same token endpoint origin): a grant that revoking the old one
    /// could end. (A provider deleted and made again, under its id or another, with the same
    /// client counts, with or without a revocation request; another client that took the id
    /// does not.)
    private func holdsAGrant(ofTheSameClient provider: Provider, as pending: PendingRevocation) async throws -> Bool {
        let server = ProviderRegistry.origin(provider.oauth2.tokenRequest)
        for connection in try await store.connections(ConnectionQuery(userID: pending.userID, limit: 1000)).items {
            guard let record = try await store.provider(id: connection.providerID),
                let template = try? record.template()
            else { continue }
            if template.clientID == provider.oauth2.clientID, ProviderRegistry.origin(template.tokenRequest) == server {
                return true
            }
        }
        return false
    }

    /// A revocation past `settings.revocationGiveUp`: not tried.
    private struct GaveUp: Error {
        let reason: String
    }

    /// A revocation whose user holds another grant of the same client: not sent.
    private struct Superseded: Error {}

    private func record(_ outcome: RevocationOutcome, of pending: PendingRevocation) async {
        var metadata: Logger.Metadata = ["provider": "\(pending.providerID)", "connection": "\(pending.id)"]
        if pending.attempts > 0 { metadata["attempt"] = "\(pending.attempts + 1)" }
        if let key = pending.retiredProvider { metadata["retired_provider"] = "\(key)" }
        do {
            switch outcome {
            case .revoked:
                logger.info("connection deleted and its grant revoked at the provider", metadata: metadata)
                try await store.deleteRevocation(id: pending.id)
            case .refused(let reason):
                logger.warning(
                    "connection deleted, but the provider did not revoke its grant; end it at the provider if it must end now",
                    metadata: metadata.merging(["reason": "\(reason)"]) { $1 })
                try await store.deleteRevocation(id: pending.id)
            case .superseded:
                // Not "end it at the provider": that would end the user's new grant too.
                logger.notice(
                    "connection deleted, and its grant left at the provider: the user holds another grant of the same client",
                    metadata: metadata.merging(["reason": "\(RevocationOutcome.supersededReason)"]) { $1 })
                try await store.deleteRevocation(id: pending.id)
            case .gaveUp(let reason):
                logger.error(
                    "connection deleted, but its grant could not be revoked at the provider since; no more tries: end it at the provider",
                    metadata: metadata.merging(["reason": "\(reason)", "deleted_at": "\(pending.createdAt.iso8601)"]) { $1 })
                try await store.deleteRevocation(id: pending.id)
            case .postponed(let reason):
                let delay = settings.revocationRetryInterval * Double(1 << min(max(pending.attempts, 0), 12))
                let next = now().addingTimeInterval(min(delay, max(3600, settings.revocationRetryInterval)))
                logger.warning(
                    "connection deleted, but the provider could not revoke its grant now; trying again",
                    metadata: metadata.merging(["reason": "\(reason)", "next_try": "\(next.iso8601)"]) { $1 })
                try await store.postponeRevocation(id: pending.id, until: next, reason: reason)
            }
        } catch {
            // The row stays as it was: due again (at once, or after the delete's first-retry
            // delay), and a grant revoked twice is no harm (RFC 7009).
            logger.warning(
                "could not record a revocation's outcome; it is tried again",
                metadata: metadata.merging(["error": "\(error)"]) { $1 })
        }
    }
}
