import Foundation
import GatehouseWire

extension JSONValue {
    /// This value with every string that is or holds one of `secrets` taken out, at any depth
    /// (`Bearer <token>`, a URL with `?access_token=`): an object loses that member, an array
    /// that element; nil when the value itself is one. Within a longer string, only secrets of 8
    /// characters or more count: real tokens are far longer, and a short one would take out
    /// words. A percent-encoded form matches with its hex in any case (`%2f`, `%2F`).
    func redacting(_ secrets: Set<String>) -> JSONValue? {
        switch self {
        case .string(let text):
            secrets.contains(text) || secrets.contains { $0.count >= 8 && Self.holds(text, $0) } ? nil : self
        case .array(let items): .array(items.compactMap { $0.redacting(secrets) })
        case .object(let members): .object(members.compactMapValues { $0.redacting(secrets) })
        case .null, .bool, .number, .integer: self
        }
    }

    /// Whether `text` holds `secret`; a percent-encoded one in any case.
    private static func holds(_ text: String, _ secret: String) -> Bool {
        guard secret.contains("%"), text.contains("%") else { return text.contains(secret) }
        return text.range(of: secret, options: .caseInsensitive) != nil
    }
}

extension JSONValue {
    /// The strings under a member named one of `names`, at any depth (a list's strings too).
    func strings(under names: Set<String>) -> [String] {
        switch self {
        case .object(let members):
            members.flatMap { name, value in
                (names.contains(name) ? value.allStrings : []) + value.strings(under: names)
            }
        case .array(let items): items.flatMap { $0.strings(under: names) }
        case .string, .null, .bool, .number, .integer: []
        }
    }

    /// Every string in this value, at any depth.
    private var allStrings: [String] {
        switch self {
        case .string(let text): [text]
        case .array(let items): items.flatMap(\.allStrings)
        case .object(let members): members.values.flatMap(\.allStrings)
        case .null, .bool, .number, .integer: []
        }
    }
}

extension [String: JSONValue] {
    /// User info without the grant's tokens: a template that maps them there (a `user_info.*`
    /// mapping of a member that holds one, or a user info endpoint that echoes one) would hand
    /// them to every app, and leave them unsealed in the store.
    func redacting(_ secrets: Set<String>) -> [String: JSONValue] {
        secrets.isEmpty ? self : compactMapValues { $0.redacting(secrets) }
    }
}
