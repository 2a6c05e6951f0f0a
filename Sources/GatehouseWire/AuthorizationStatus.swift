/// The state of an authorization, as Arcade's API names it; unknown values are kept, not rejected.
public enum AuthorizationStatus: Codable, Sendable, Hashable, CustomStringConvertible {
    /// `not_started`: no flow yet.
    case notStarted
    /// `pending`: the user has yet to consent (the response's `url` is where).
    case pending
    /// `completed`: the grant is stored; `context.token` is its access token.
    case completed
    /// `failed`: the flow ended without a grant (`status_reason` says why).
    case failed
    /// A value this version does not know, kept as sent.
    case unknown(String)

    /// Creates a status from its wire spelling.
    public init(rawValue: String) {
        switch rawValue {
        case "not_started": self = .notStarted
        case "pending": self = .pending
        case "completed": self = .completed
        case "failed": self = .failed
        default: self = .unknown(rawValue)
        }
    }

    /// The wire spelling.
    public var rawValue: String {
        switch self {
        case .notStarted: "not_started"
        case .pending: "pending"
        case .completed: "completed"
        case .failed: "failed"
        case .unknown(let value): value
        }
    }

    /// The wire spelling.
    public var description: String { rawValue }

    /// Decodes from the wire spelling.
    public init(from decoder: any Decoder) throws {
        self.init(rawValue: try decoder.singleValueContainer().decode(String.self))
    }

    /// Encodes the wire spelling.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }
}
