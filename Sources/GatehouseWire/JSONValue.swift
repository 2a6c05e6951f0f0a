/// An arbitrary JSON value, used where the wire carries free-form objects such as `user_info`.
public enum JSONValue: Codable, Sendable, Hashable {
    /// `null`.
    case null
    /// `true` or `false`.
    case bool(Bool)
    /// A number, as a `Double`: exact for every integer up to 2^53.
    case number(Double)
    /// A whole number from 2^53 on and within `Int64` (a 64-bit id, say), which a `Double` would
    /// round: kept exact. Numbers past `Int64`, and fractions, are `number`s, rounded.
    case integer(Int64)
    /// A string.
    case string(String)
    /// An array.
    case array([JSONValue])
    /// An object.
    case object([String: JSONValue])

    /// Decodes any JSON value.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let value = try? container.decode(Bool.self) {
            self = .bool(value)
        } else if let value = try? container.decode(Double.self) {
            // Only a whole number from 2^53 on (what 2^53 + 1 rounds to) is read a second time, as
            // the integer it was written (one that rounds as the number did: not a fraction that
            // the integer read cut off).
            if value.rounded() == value, value.magnitude >= Self.exactInDouble,
                let exact = (try? container.decode(Int64.self)) ?? Int64(exactly: value), Double(exact) == value
            {
                self = .integer(exact)
            } else {
                self = .number(value)
            }
        } else if let value = try? container.decode(String.self) {
            self = .string(value)
        } else if let value = try? container.decode([JSONValue].self) {
            self = .array(value)
        } else {
            self = .object(try container.decode([String: JSONValue].self))
        }
    }

    /// Encodes the value as the JSON it stands for.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .null: try container.encodeNil()
        case .bool(let value): try container.encode(value)
        case .number(let value):
            // Whole numbers are written without a fraction, as a provider sent them.
            if let whole = Self.whole(value) {
                try container.encode(whole)
            } else {
                try container.encode(value)
            }
        case .integer(let value): try container.encode(value)
        case .string(let value): try container.encode(value)
        case .array(let value): try container.encode(value)
        case .object(let value): try container.encode(value)
        }
    }

    /// The value as a string, when it is a string, a number or a boolean.
    public var stringValue: String? {
        switch self {
        case .string(let value): return value
        case .number(let value):
            return Self.whole(value).map(String.init) ?? String(value)
        case .integer(let value): return String(value)
        case .bool(let value): return String(value)
        default: return nil
        }
    }

    /// The value as a number, when it is a number or a numeric string.
    public var doubleValue: Double? {
        switch self {
        case .number(let value): return value
        case .integer(let value): return Double(value)
        case .string(let value): return Double(value)
        default: return nil
        }
    }

    /// 2^53: up to it, every integer is a `Double` of its own.
    private static let exactInDouble: Double = 9_007_199_254_740_992

    /// `value` as an integer, when it is one that a `Double` holds exactly.
    private static func whole(_ value: Double) -> Int64? {
        value.magnitude <= exactInDouble ? Int64(exactly: value) : nil
    }

    /// The members, when the value is an object.
    public var objectValue: [String: JSONValue]? {
        if case .object(let value) = self { return value }
        return nil
    }

    /// The elements, when the value is an array.
    public var arrayValue: [JSONValue]? {
        if case .array(let value) = self { return value }
        return nil
    }
}
