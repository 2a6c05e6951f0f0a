import GatehouseWire
import NIOCore

/// Reads the body of a hot `authorize` without `JSONDecoder`, which was the largest single cost
/// left on the path (about a tenth of it). It takes only the plain shape the clients send:
/// printable ASCII strings without escapes, the known keys once each, `null` for an absent
/// optional. Anything else (an escape, a number, an unknown or repeated key, a missing field,
/// bad JSON) answers nil, and the caller decodes with `JSONDecoder` as before, which also names
/// what is wrong. A test checks it against `JSONDecoder` on generated bodies.
struct AuthorizationRequestReader {
    private var bytes: ByteBufferView
    private var index: ByteBufferView.Index

    /// The request, or nil when the body is not in the plain shape.
    static func read(_ buffer: ByteBuffer) -> AuthorizationRequest? {
        var reader = AuthorizationRequestReader(bytes: buffer.readableBytesView, index: buffer.readableBytesView.startIndex)
        reader.skipSpace()
        guard let request = reader.request() else { return nil }
        reader.skipSpace()
        return reader.index == reader.bytes.endIndex ? request : nil
    }

    private mutating func request() -> AuthorizationRequest? {
        var requirement: AuthorizationRequest.Requirement??
        var userID: String??
        var nextURI: String??
        let complete = object { key, reader in
            switch key {
            case "auth_requirement" where requirement == nil:
                guard let value = reader.requirement() else { return false }
                requirement = .some(value)
            case "user_id" where userID == nil:
                guard let value = reader.string() else { return false }
                userID = .some(value)
            case "next_uri" where nextURI == nil:
                guard let value = reader.optionalString() else { return false }
                nextURI = .some(value)
            default:
                return false
            }
            return true
        }
        guard complete, let requirement = requirement ?? nil, let userID = userID ?? nil else { return nil }
        return AuthorizationRequest(authRequirement: requirement, userID: userID, nextURI: nextURI ?? nil)
    }

    private mutating func requirement() -> AuthorizationRequest.Requirement? {
        var providerID: String??
        var id: String??
        var providerType: String??
        var oauth2: AuthorizationRequest.Requirement.OAuth2??
        let complete = object { key, reader in
            switch key {
            case "provider_id" where providerID == nil:
                guard let value = reader.optionalString() else { return false }
                providerID = .some(value)
            case "id" where id == nil:
                guard let value = reader.optionalString() else { return false }
                id = .some(value)
            case "provider_type" where providerType == nil:
                guard let value = reader.optionalString() else { return false }
                providerType = .some(value)
            case "oauth2" where oauth2 == nil:
                if reader.null() {
                    oauth2 = .some(nil)
                } else {
                    guard let value = reader.oauth2() else { return false }
                    oauth2 = .some(value)
                }
            default:
                return false
            }
            return true
        }
        guard complete else { return nil }
        return AuthorizationRequest.Requirement(
            providerID: providerID ?? nil, id: id ?? nil, providerType: providerType ?? nil, oauth2: oauth2 ?? nil)
    }

    private mutating func oauth2() -> AuthorizationRequest.Requirement.OAuth2? {
        var scopes: [String]??
        let complete = object { key, reader in
            guard key == "scopes", scopes == nil else { return false }
            if reader.null() {
                scopes = .some(nil)
                return true
            }
            guard let value = reader.strings() else { return false }
            scopes = .some(value)
            return true
        }
        return complete ? AuthorizationRequest.Requirement.OAuth2(scopes: scopes ?? nil) : nil
    }

    /// An object whose every member `member` reads (answering false to give up).
    private mutating func object(_ member: (String, inout AuthorizationRequestReader) -> Bool) -> Bool {
        guard take(UInt8(ascii: "{")) else { return false }
        skipSpace()
        if take(UInt8(ascii: "}")) { return true }
        while true {
            skipSpace()
            guard let key = string() else { return false }
            skipSpace()
            guard take(UInt8(ascii: ":")) else { return false }
            skipSpace()
            guard member(key, &self) else { return false }
            skipSpace()
            if take(UInt8(ascii: "}")) { return true }
            guard take(UInt8(ascii: ",")) else { return false }
        }
    }

    private mutating func strings() -> [String]? {
        guard take(UInt8(ascii: "[")) else { return nil }
        var values: [String] = []
        skipSpace()
        if take(UInt8(ascii: "]")) { return values }
        while true {
            skipSpace()
            guard let value = string() else { return nil }
            values.append(value)
            skipSpace()
            if take(UInt8(ascii: "]")) { return values }
            guard take(UInt8(ascii: ",")) else { return nil }
        }
    }

    private mutating func optionalString() -> String?? {
        if null() { return .some(nil) }
        return string().map { .some($0) }
    }

    /// A string of printable ASCII without escapes; nil for anything else.
    private mutating func string() -> String? {
        guard take(UInt8(ascii: "\"")) else { return nil }
        let start = index
        while index < bytes.endIndex {
            let byte = bytes[index]
            if byte == UInt8(ascii: "\"") {
                let value = String(decoding: bytes[start..<index], as: UTF8.self)
                index = bytes.index(after: index)
                return value
            }
            guard byte >= 0x20, byte < 0x7F, byte != UInt8(ascii: "\\") else { return nil }
            index = bytes.index(after: index)
        }
        return nil
    }

    private mutating func null() -> Bool {
        guard bytes[index...].starts(with: "null".utf8) else { return false }
        index = bytes.index(index, offsetBy: 4)
        return true
    }

    private mutating func take(_ byte: UInt8) -> Bool {
        guard index < bytes.endIndex, bytes[index] == byte else { return false }
        index = bytes.index(after: index)
        return true
    }

    private mutating func skipSpace() {
        while index < bytes.endIndex, [0x20, 0x09, 0x0A, 0x0D].contains(bytes[index]) { index = bytes.index(after: index) }
    }
}
