import Foundation
import GatehouseCore
import GatehouseWire
import NIOCore
import PostgresNIO

// Rows to records, and the conversions every statement shares.
extension PostgresStore {
    static func provider(_ row: PostgresRandomAccessRow) throws -> ProviderRecord {
        ProviderRecord(
            id: try row["id"].decode(String.self), description: try row["description"].decode(String?.self),
            providerType: try row["provider_type"].decode(String.self), enabled: try row["enabled"].decode(Bool.self),
            source: try row["source"].decode(String.self), templateJSON: try bytes(row, "template") ?? [],
            sealedSecret: try bytes(row, "sealed_secret"), secretHint: try row["secret_hint"].decode(String?.self),
            createdAt: try date(row, "created_at"), updatedAt: try date(row, "updated_at"))
    }

    static func flow(_ row: PostgresRandomAccessRow) throws -> Flow {
        Flow(
            id: try row["id"].decode(String.self), userID: try row["user_id"].decode(String.self),
            providerID: try row["provider_id"].decode(String.self),
            requestedScopes: try json([String].self, row, "requested_scopes") ?? [],
            authorizeScopes: try json([String].self, row, "authorize_scopes") ?? [],
            stateHash: try row["state_hash"].decode(String.self), sealedVerifier: try bytes(row, "sealed_verifier"),
            sealedURL: try bytes(row, "sealed_url"), nextURI: try row["next_uri"].decode(String?.self),
            status: Flow.Status(stored: try row["status"].decode(String.self)),
            stateUsed: try row["state_used"].decode(Bool.self),
            stateUsedAt: try row["state_used_at"].decode(Double?.self).map(Date.init(timeIntervalSince1970:)),
            stateUsedBy: try row["state_used_by"].decode(String?.self),
            verificationHash: try row["verification_id"].decode(String?.self), sealedTokens: try bytes(row, "sealed_tokens"),
            userInfo: try json([String: JSONValue].self, row, "user_info"),
            failureReason: try row["failure_reason"].decode(String?.self), createdAt: try date(row, "created_at"),
            expiresAt: try date(row, "expires_at"), version: try row["version"].decode(Int.self))
    }

    static func connection(_ row: PostgresRandomAccessRow) throws -> Connection {
        Connection(
            id: try row["id"].decode(String.self), userID: try row["user_id"].decode(String.self),
            providerID: try row["provider_id"].decode(String.self), scopes: try json([String].self, row, "scopes") ?? [],
            sealedTokens: try bytes(row, "sealed_tokens") ?? [], expiresAt: try date(row, "expires_at"),
            userInfo: try json([String: JSONValue].self, row, "user_info"),
            status: Connection.Status(stored: try row["status"].decode(String.self)),
            authID: try row["auth_id"].decode(String.self), createdAt: try date(row, "created_at"),
            updatedAt: try date(row, "updated_at"), version: try row["version"].decode(Int.self))
    }

    static func secret(_ row: PostgresRandomAccessRow) throws -> SecretRecord {
        SecretRecord(
            id: try row["id"].decode(String.self), key: try row["key"].decode(String.self),
            sealedValue: try bytes(row, "sealed_value") ?? [], description: try row["description"].decode(String?.self),
            hint: try row["hint"].decode(String?.self), createdAt: try date(row, "created_at"),
            updatedAt: try date(row, "updated_at"))
    }

    static func apiKey(_ row: PostgresRandomAccessRow) throws -> APIKeyRecord {
        APIKeyRecord(
            hash: try row["hash"].decode(String.self), name: try row["name"].decode(String.self),
            role: APIKeyRole(stored: try row["role"].decode(String.self)), createdAt: try date(row, "created_at"),
            lastUsedAt: try row["last_used_at"].decode(Double?.self).map(Date.init(timeIntervalSince1970:)))
    }

    static func bytes(_ row: PostgresRandomAccessRow, _ name: String) throws -> [UInt8]? {
        try row[name].decode(ByteBuffer?.self).map { Array(buffer: $0) }
    }

    static func date(_ row: PostgresRandomAccessRow, _ name: String) throws -> Date {
        Date(timeIntervalSince1970: try row[name].decode(Double.self))
    }

    static func json<T: Decodable>(_ type: T.Type, _ row: PostgresRandomAccessRow, _ name: String) throws -> T? {
        guard let text = try row[name].decode(String?.self) else { return nil }
        return try JSONDecoder().decode(type, from: Data(text.utf8))
    }

    /// A blob as a bound `bytea` (nil binds NULL).
    static func blob(_ bytes: [UInt8]?) -> ByteBuffer? {
        bytes.map { ByteBuffer(bytes: $0) }
    }

    static func text<T: Encodable>(_ value: T) -> String {
        (try? String(decoding: JSONEncoder().encode(value), as: UTF8.self)) ?? "null"
    }

    static func textOrNull<T: Encodable>(_ value: T?) -> String? {
        guard let value else { return nil }
        return text(value)
    }
}
