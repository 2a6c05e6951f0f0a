import GatehouseWire

extension JSONValue {
    /// This value with every string that is or holds one of `secrets` taken out, at any depth
    /// (`Bearer <token>`, a URL with `?access_token=`): an object loses that member, an array
    /// that element; nil when the value itself is one. Within a longer string, only secrets of 8
    /// characters or more count: real tokens are far longer, and a short one would take out
    /// words.
    func redacting(_ secrets: Set<String>) -> JSONValue? {
        switch self {
        case .string(let text):
            secrets.contains(text) || secrets.contains { $0.count >= 8 && text.contains($0) } ? nil : self
        case .array(let items): .array(items.compactMap { $0.redacting(secrets) })
        case .object(let members): .object(members.compactMapValues { $0.redacting(secrets) })
        case .null, .bool, .number: self
        }
    }
}

extension [String: JSONValue] {
    /// User info without the grant's tokens: a template that maps them there (a `user_info.*`
    /// mapping of a member that holds one, or a user info endpoint that echoes one) would hand
    /// them to every app, and leave them unsealed in the store.
    func redacting(tokens: [String?]) -> [String: JSONValue] {
        let secrets = Set(tokens.compactMap { $0 }.filter { !$0.isEmpty })
        return secrets.isEmpty ? self : compactMapValues { $0.redacting(secrets) }
    }
}
