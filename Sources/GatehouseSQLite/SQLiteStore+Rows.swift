import Foundation
import GatehouseCore
import GatehouseWire
import NIOCore
import SQLiteNIO

extension SQLiteStore {
    static func binds(_ record: ProviderRecord) -> [SQLiteData] {
        [
            .text(record.id), record.description.map(SQLiteData.text) ?? .null, .text(record.providerType),
            .integer(record.enabled ? 1 : 0), .text(record.source), blob(record.templateJSON),
            blob(record.sealedSecret), record.secretHint.map(SQLiteData.text) ?? .null,
            .float(record.createdAt.timeIntervalSince1970), .float(record.updatedAt.timeIntervalSince1970),
        ]
    }

    static func provider(_ row: SQLiteRow) throws -> ProviderRecord {
        ProviderRecord(
            id: try text(row, "id"), description: row.column("description")?.string,
            providerType: try text(row, "provider_type"), enabled: row.column("enabled")?.integer == 1,
            source: try text(row, "source"), templateJSON: bytes(row, "template") ?? [],
            sealedSecret: bytes(row, "sealed_secret"), secretHint: row.column("secret_hint")?.string,
            createdAt: date(row, "created_at"), updatedAt: date(row, "updated_at"))
    }

    static func apiKey(_ row: SQLiteRow) throws -> APIKeyRecord {
        APIKeyRecord(
            hash: try text(row, "hash"), name: try text(row, "name"),
            role: APIKeyRole(stored: row.column("role")?.string ?? ""), createdAt: date(row, "created_at"),
            lastUsedAt: row.column("last_used_at")?.double.map(Date.init(timeIntervalSince1970:)))
    }

    static func flow(_ row: SQLiteRow) throws -> Flow {
        Flow(
            id: try text(row, "id"), userID: try text(row, "user_id"), providerID: try text(row, "provider_id"),
            requestedScopes: try decode([String].self, row, "requested_scopes") ?? [],
            authorizeScopes: try decode([String].self, row, "authorize_scopes") ?? [],
            stateHash: try text(row, "state_hash"), sealedVerifier: bytes(row, "sealed_verifier"),
            sealedURL: bytes(row, "sealed_url"), nextURI: row.column("next_uri")?.string,
            status: Flow.Status(stored: try text(row, "status")),
            stateUsed: row.column("state_used")?.integer == 1,
            stateUsedAt: row.column("state_used_at")?.double.map(Date.init(timeIntervalSince1970:)),
            stateUsedBy: row.column("state_used_by")?.string,
            verificationHash: row.column("verification_id")?.string, sealedTokens: bytes(row, "sealed_tokens"),
            userInfo: try decode([String: JSONValue].self, row, "user_info"),
            failureReason: row.column("failure_reason")?.string, createdAt: date(row, "created_at"),
            expiresAt: date(row, "expires_at"), version: Int(row.column("version")?.integer ?? 0))
    }

    static func connection(_ row: SQLiteRow) throws -> Connection {
        Connection(
            id: try text(row, "id"), userID: try text(row, "user_id"), providerID: try text(row, "provider_id"),
            scopes: try decode([String].self, row, "scopes") ?? [], sealedTokens: bytes(row, "sealed_tokens") ?? [],
            expiresAt: date(row, "expires_at"), userInfo: try decode([String: JSONValue].self, row, "user_info"),
            status: Connection.Status(stored: try text(row, "status")),
            authID: try text(row, "auth_id"), createdAt: date(row, "created_at"), updatedAt: date(row, "updated_at"),
            version: Int(row.column("version")?.integer ?? 0))
    }

    static func secret(_ row: SQLiteRow) throws -> SecretRecord {
        SecretRecord(
            id: try text(row, "id"), key: try text(row, "key"), sealedValue: bytes(row, "sealed_value") ?? [],
            description: row.column("description")?.string, hint: row.column("hint")?.string,
            createdAt: date(row, "created_at"), updatedAt: date(row, "updated_at"))
    }

    static func text(_ row: SQLiteRow, _ name: String) throws -> String {
        guard let value = row.column(name)?.string else {
            throw GatehouseError(.internalError, "stored row lacks \(name)")
        }
        return value
    }

    static func bytes(_ row: SQLiteRow, _ name: String) -> [UInt8]? {
        row.column(name)?.blob.map { Array(buffer: $0) }
    }

    static func date(_ row: SQLiteRow, _ name: String) -> Date {
        Date(timeIntervalSince1970: row.column(name)?.double ?? 0)
    }

    static func decode<T: Decodable>(_ type: T.Type, _ row: SQLiteRow, _ name: String) throws -> T? {
        guard let text = row.column(name)?.string else { return nil }
        return try JSONDecoder().decode(type, from: Data(text.utf8))
    }

    static func blob(_ bytes: [UInt8]?) -> SQLiteData {
        bytes.map { .blob(ByteBuffer(bytes: $0)) } ?? .null
    }

    static func json<T: Encodable>(_ value: T) -> String {
        (try? String(decoding: JSONEncoder().encode(value), as: UTF8.self)) ?? "null"
    }

    static func jsonOrNull<T: Encodable>(_ value: T?) -> SQLiteData {
        value.map { .text(json($0)) } ?? .null
    }
}
