import Foundation

extension Encodable {
    /// This value as its JSON, keys sorted, with the value of every `client_secret` member
    /// replaced, at any depth: how a provider's definition prints (`"\(request)"`), so that a
    /// log line or a message that interpolates one cannot carry the secret.
    func jsonRedactingClientSecrets() -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        guard let data = try? encoder.encode(self), let value = try? JSONDecoder().decode(JSONValue.self, from: data),
            let redacted = try? encoder.encode(value.redactingClientSecrets)
        else { return "\(Self.self)(<unprintable>)" }
        return "\(Self.self)(\(String(decoding: redacted, as: UTF8.self)))"
    }
}

extension JSONValue {
    fileprivate var redactingClientSecrets: JSONValue {
        switch self {
        case .object(let members):
            .object(
                members.reduce(into: [:]) { result, member in
                    result[member.key] =
                        member.key == "client_secret" && member.value != .null
                        ? .string("<redacted>") : member.value.redactingClientSecrets
                })
        case .array(let items): .array(items.map(\.redactingClientSecrets))
        case .string, .number, .integer, .bool, .null: self
        }
    }
}

extension AuthProviderRequest: CustomDebugStringConvertible {
    /// The request as JSON, its client secrets redacted. (Not `CustomStringConvertible`:
    /// `description` is the provider's own text.)
    public var debugDescription: String { jsonRedactingClientSecrets() }
}

extension OAuth2Config: CustomDebugStringConvertible {
    /// The block as JSON, its client secret redacted.
    public var debugDescription: String { jsonRedactingClientSecrets() }
}
