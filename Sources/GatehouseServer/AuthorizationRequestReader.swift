import GatehouseCore
import GatehouseWire
import NIOCore

/// Reads the body of a hot `authorize` without `JSONDecoder`, which was the largest single cost
/// left on the path (about a tenth of it). It takes only the plain shape the clients send
/// (`PlainJSONScanner`: printable ASCII strings, the known keys once each, `null` for an absent
/// optional). Anything else (an escape, a number, an unknown or repeated key, a missing field,
/// bad JSON) answers nil, and the caller decodes with `JSONDecoder` as before, which also names
/// what is wrong. A test checks it against `JSONDecoder` on generated bodies.
enum AuthorizationRequestReader {
    /// The request, or nil when the body is not in the plain shape.
    static func read(_ buffer: ByteBuffer) -> AuthorizationRequest? {
        buffer.withUnsafeReadableBytes { bytes in
            var scanner = PlainJSONScanner(bytes)
            guard let request = request(&scanner), scanner.atEnd() else { return nil }
            return request
        }
    }

    private static func request(_ scanner: inout PlainJSONScanner) -> AuthorizationRequest? {
        var requirement: AuthorizationRequest.Requirement?
        var userID: String?
        var nextURI: String??
        let complete = scanner.object { key, scanner in
            switch key {
            case "auth_requirement":
                guard let value = Self.requirement(&scanner) else { return false }
                requirement = value
            case "user_id":
                guard let value = scanner.string() else { return false }
                userID = value
            case "next_uri":
                guard let value = scanner.optionalString() else { return false }
                nextURI = value
            default:
                return false
            }
            return true
        }
        guard complete, let requirement, let userID else { return nil }
        return AuthorizationRequest(authRequirement: requirement, userID: userID, nextURI: nextURI ?? nil)
    }

    private static func requirement(_ scanner: inout PlainJSONScanner) -> AuthorizationRequest.Requirement? {
        var providerID: String??
        var id: String??
        var providerType: String??
        var oauth2: AuthorizationRequest.Requirement.OAuth2??
        let complete = scanner.object { key, scanner in
            switch key {
            case "provider_id":
                guard let value = scanner.optionalString() else { return false }
                providerID = value
            case "id":
                guard let value = scanner.optionalString() else { return false }
                id = value
            case "provider_type":
                guard let value = scanner.optionalString() else { return false }
                providerType = value
            case "oauth2":
                if scanner.null() {
                    oauth2 = .some(nil)
                } else {
                    guard let value = Self.oauth2(&scanner) else { return false }
                    oauth2 = value
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

    private static func oauth2(_ scanner: inout PlainJSONScanner) -> AuthorizationRequest.Requirement.OAuth2? {
        var scopes: [String]??
        let complete = scanner.object { key, scanner in
            guard key == "scopes" else { return false }
            if scanner.null() {
                scopes = .some(nil)
                return true
            }
            guard let value = scanner.strings() else { return false }
            scopes = value
            return true
        }
        return complete ? AuthorizationRequest.Requirement.OAuth2(scopes: scopes ?? nil) : nil
    }
}
