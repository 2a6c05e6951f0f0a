import Foundation
import GatehouseCore
import SQLiteNIO

// Moving an install: every row out, or a snapshot in (one transaction).
extension SQLiteStore {
    /// Everything the file holds.
    package func exportAll() async throws -> StoreSnapshot {
        var snapshot = StoreSnapshot()
        snapshot.providers = try await rows("SELECT * FROM providers").map(Self.provider)
        snapshot.flows = try await rows("SELECT * FROM flows").map(Self.flow)
        snapshot.connections = try await rows("SELECT * FROM connections").map(Self.connection)
        snapshot.apiKeys = try await rows("SELECT hash, name, role, created_at, last_used_at FROM api_keys").map(Self.apiKey)
        for row in try await rows("SELECT key, value FROM settings")
        where StoreSnapshot.copies(setting: try Self.text(row, "key")) {
            snapshot.settings[try Self.text(row, "key")] = try Self.text(row, "value")
        }
        snapshot.secrets = try await rows("SELECT * FROM secrets").map(Self.secret)
        snapshot.revocations = try await rows("SELECT * FROM revocations").map(Self.revocation)
        snapshot.retiredProviders = try await rows("SELECT * FROM retired_providers").map(Self.retiredProvider)
        return snapshot
    }

    /// Writes a snapshot in one transaction.
    package func importAll(_ snapshot: StoreSnapshot, replacing: Bool) async throws {
        _ = try await rows("BEGIN IMMEDIATE")
        do {
            if replacing {
                for table in [
                    "connections", "flows", "providers", "api_keys", "settings", "secrets", "revocations", "retired_providers",
                ] {
                    _ = try await rows("DELETE FROM \(table)")
                }
            }
            for record in snapshot.providers {
                _ = try await rows(
                    """
                    INSERT INTO providers (id, description, provider_type, enabled, source, template, sealed_secret,
                        secret_hint, created_at, updated_at)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """, Self.binds(record))
            }
            for flow in snapshot.flows {
                _ = try await rows(
                    """
                    INSERT INTO flows (id, user_id, provider_id, requested_scopes, authorize_scopes, state_hash,
                        sealed_verifier, sealed_url, url, next_uri, status, state_used, state_used_at, verification_id,
                        sealed_tokens, user_info, failure_reason, open_key, created_at, expires_at, version)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, '', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """,
                    [
                        .text(flow.id), .text(flow.userID), .text(flow.providerID), .text(Self.json(flow.requestedScopes)),
                        .text(Self.json(flow.authorizeScopes)), .text(flow.stateHash), Self.blob(flow.sealedVerifier),
                        Self.blob(flow.sealedURL), flow.nextURI.map(SQLiteData.text) ?? .null, .text(flow.status.rawValue),
                        .integer(flow.stateUsed ? 1 : 0),
                        flow.stateUsedAt.map { .float($0.timeIntervalSince1970) } ?? .null,
                        flow.verificationHash.map(SQLiteData.text) ?? .null,
                        Self.blob(flow.sealedTokens), Self.jsonOrNull(flow.userInfo),
                        flow.failureReason.map(SQLiteData.text) ?? .null,
                        flow.status == .pending && !flow.stateUsed ? .text(flow.dedupeKey) : .null,
                        .float(flow.createdAt.timeIntervalSince1970), .float(flow.expiresAt.timeIntervalSince1970),
                        .integer(flow.version),
                    ])
            }
            for connection in snapshot.connections {
                _ = try await rows(
                    """
                    INSERT INTO connections (id, user_id, provider_id, scopes, sealed_tokens, expires_at, user_info, status,
                        auth_id, created_at, updated_at, version)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """,
                    [
                        .text(connection.id), .text(connection.userID), .text(connection.providerID),
                        .text(Self.json(connection.scopes)), Self.blob(connection.sealedTokens),
                        .float(connection.expiresAt.timeIntervalSince1970), Self.jsonOrNull(connection.userInfo),
                        .text(connection.status.rawValue), .text(connection.authID),
                        .float(connection.createdAt.timeIntervalSince1970), .float(connection.updatedAt.timeIntervalSince1970),
                        .integer(connection.version),
                    ])
            }
            for key in snapshot.apiKeys { try await insertAPIKey(key) }
            for (key, value) in snapshot.settings { try await setSetting(key, value: value) }
            for secret in snapshot.secrets { _ = try await upsertSecret(secret) }
            for revocation in snapshot.revocations {
                let (sql, binds) = Self.insert(revocation)
                _ = try await rows(sql, binds)
            }
            for retired in snapshot.retiredProviders {
                let (sql, binds) = Self.insert(retired)
                _ = try await rows(sql, binds)
            }
            _ = try await rows("COMMIT")
        } catch {
            _ = try? await rows("ROLLBACK")
            throw error
        }
    }
}
