import Foundation
import GatehouseCore
import PostgresNIO

// Moving an install: every row out, or a snapshot in (one transaction).
extension PostgresStore {
    /// Everything the database holds.
    package func exportAll() async throws -> StoreSnapshot {
        var snapshot = StoreSnapshot()
        snapshot.providers = try await rows("SELECT * FROM providers").map(Self.provider)
        snapshot.flows = try await rows("SELECT * FROM flows").map(Self.flow)
        snapshot.connections = try await rows("SELECT * FROM connections").map(Self.connection)
        snapshot.apiKeys = try await rows("SELECT hash, name, role, created_at, last_used_at FROM api_keys").map(Self.apiKey)
        for row in try await rows("SELECT key, value FROM settings")
        where StoreSnapshot.copies(setting: try row["key"].decode(String.self)) {
            snapshot.settings[try row["key"].decode(String.self)] = try row["value"].decode(String.self)
        }
        snapshot.secrets = try await rows("SELECT * FROM secrets").map(Self.secret)
        snapshot.revocations = try await rows("SELECT * FROM revocations").map(Self.revocation)
        snapshot.retiredProviders = try await rows("SELECT * FROM retired_providers").map(Self.retiredProvider)
        return snapshot
    }

    /// Writes a snapshot in one transaction.
    package func importAll(_ snapshot: StoreSnapshot, replacing: Bool) async throws {
        try await client.withTransaction(logger: logger) { connection in
            func run(_ query: PostgresQuery) async throws { _ = try await connection.query(query, logger: logger) }
            if replacing {
                try await run(
                    "TRUNCATE connections, flows, providers, api_keys, settings, secrets, revocations, retired_providers")
            }
            for p in snapshot.providers {
                try await run(
                    """
                    INSERT INTO providers (id, description, provider_type, enabled, source, template, sealed_secret,
                        secret_hint, created_at, updated_at)
                    VALUES (\(p.id), \(p.description), \(p.providerType), \(p.enabled), \(p.source), \(Self.blob(p.templateJSON)),
                        \(Self.blob(p.sealedSecret)), \(p.secretHint), \(p.createdAt.timeIntervalSince1970),
                        \(p.updatedAt.timeIntervalSince1970))
                    """)
            }
            for f in snapshot.flows {
                let openKey: String? = f.status == .pending && !f.stateUsed ? f.dedupeKey : nil
                try await run(
                    """
                    INSERT INTO flows (id, user_id, provider_id, requested_scopes, authorize_scopes, state_hash,
                        sealed_verifier, sealed_url, next_uri, status, state_used, state_used_at, verification_id,
                        sealed_tokens, user_info, failure_reason, open_key, created_at, expires_at, version)
                    VALUES (\(f.id), \(f.userID), \(f.providerID), \(Self.text(f.requestedScopes)),
                        \(Self.text(f.authorizeScopes)), \(f.stateHash), \(Self.blob(f.sealedVerifier)), \(Self.blob(f.sealedURL)),
                        \(f.nextURI), \(f.status.rawValue), \(f.stateUsed), \(f.stateUsedAt?.timeIntervalSince1970), \(f.verificationHash), \(Self.blob(f.sealedTokens)),
                        \(Self.textOrNull(f.userInfo)), \(f.failureReason), \(openKey), \(f.createdAt.timeIntervalSince1970),
                        \(f.expiresAt.timeIntervalSince1970), \(f.version))
                    """)
            }
            for c in snapshot.connections {
                try await run(
                    """
                    INSERT INTO connections (id, user_id, provider_id, scopes, sealed_tokens, expires_at, user_info, status,
                        auth_id, created_at, updated_at, version)
                    VALUES (\(c.id), \(c.userID), \(c.providerID), \(Self.text(c.scopes)), \(Self.blob(c.sealedTokens)),
                        \(c.expiresAt.timeIntervalSince1970), \(Self.textOrNull(c.userInfo)), \(c.status.rawValue), \(c.authID),
                        \(c.createdAt.timeIntervalSince1970), \(c.updatedAt.timeIntervalSince1970), \(c.version))
                    """)
            }
            for k in snapshot.apiKeys {
                try await run(
                    """
                    INSERT INTO api_keys (hash, name, role, created_at, last_used_at)
                    VALUES (\(k.hash), \(k.name), \(k.role.rawValue), \(k.createdAt.timeIntervalSince1970),
                        \(k.lastUsedAt?.timeIntervalSince1970))
                    """)
            }
            for (key, value) in snapshot.settings {
                try await run("INSERT INTO settings (key, value) VALUES (\(key), \(value))")
            }
            for s in snapshot.secrets {
                try await run(
                    """
                    INSERT INTO secrets (id, key, sealed_value, description, hint, created_at, updated_at)
                    VALUES (\(s.id), \(s.key), \(Self.blob(s.sealedValue)), \(s.description), \(s.hint),
                        \(s.createdAt.timeIntervalSince1970), \(s.updatedAt.timeIntervalSince1970))
                    """)
            }
            for revocation in snapshot.revocations { try await run(Self.insert(revocation)) }
            for retired in snapshot.retiredProviders { try await run(Self.insert(retired)) }
        }
    }
}
