/// The answer of `GET /v1/health`.
public struct HealthResponse: Codable, Sendable, Equatable {
    /// Whether the engine can serve.
    public var healthy: Bool

    /// Creates a health answer.
    public init(healthy: Bool) { self.healthy = healthy }
}
