import Foundation
import GatehouseWire

/// A `PATCH /v1/admin/auth_providers/{id}` body, read twice from the same JSON: typed, for the
/// fields and their errors, and as a document, to tell a field that is absent (unchanged) from
/// one that is `null` (cleared).
package struct ProviderPatch: Decodable, Sendable {
    /// The typed fields.
    package let request: AuthProviderRequest
    /// The body as sent.
    package let document: [String: JSONValue]

    /// Reads both from one decoder.
    package init(from decoder: any Decoder) throws {
        guard case .object(let fields) = try JSONValue(from: decoder) else {
            throw DecodingError.typeMismatch(
                [String: JSONValue].self, .init(codingPath: [], debugDescription: "the body must be a JSON object"))
        }
        document = fields
        // The typed reading sees no nulls (`"audience": null` inside `params` is a clear, not a
        // string of the wrong type); the document keeps them.
        request = try JSONDecoder().decode(
            AuthProviderRequest.self, from: JSONEncoder().encode(JSONValue.object(fields).withoutNulls))
    }

    /// A patch of these fields.
    package init(request: AuthProviderRequest, document: [String: JSONValue]) {
        self.request = request
        self.document = document
    }

    /// Whether `field` (or `oauth2.field` when `inOAuth2`) was sent as `null`.
    func clears(_ field: String, inOAuth2: Bool = false) -> Bool {
        if inOAuth2 {
            guard case .object(let oauth2) = document["oauth2"] else { return false }
            return oauth2[field] == .null
        }
        return document[field] == .null
    }
}

extension JSONValue {
    /// This value with every `null` member of every object left out.
    var withoutNulls: JSONValue {
        switch self {
        case .object(let fields): .object(fields.compactMapValues { $0 == .null ? nil : $0.withoutNulls })
        case .array(let items): .array(items.map(\.withoutNulls))
        default: self
        }
    }

    /// The JSON Merge Patch (RFC 7396) that turns this value into `target`: what changed, and
    /// `null` for what `target` left out; an empty object when nothing did.
    package func mergePatch(to target: JSONValue) -> JSONValue {
        guard case .object(let fields) = self, case .object(let wanted) = target else { return target }
        var patch: [String: JSONValue] = [:]
        for (key, value) in wanted where fields[key] != value {
            patch[key] = (fields[key] ?? .null).mergePatch(to: value)
        }
        for key in fields.keys where wanted[key] == nil { patch[key] = .null }
        return .object(patch)
    }

    /// `patch` applied to this value by JSON Merge Patch (RFC 7396): objects merge member by
    /// member at every level, `null` removes a member, anything else replaces.
    package func merged(with patch: JSONValue) -> JSONValue {
        guard case .object(let changes) = patch else { return patch }
        var result: [String: JSONValue]
        if case .object(let fields) = self { result = fields } else { result = [:] }
        for (key, change) in changes {
            if change == .null {
                result[key] = nil
            } else {
                result[key] = (result[key] ?? .null).merged(with: change)
            }
        }
        return .object(result)
    }
}
