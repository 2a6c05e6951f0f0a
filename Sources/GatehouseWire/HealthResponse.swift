/// The answer of `GET /v1/health` (liveness) and `GET /v1/health/ready` (readiness).
public struct HealthResponse: Codable, Sendable, Equatable {
    /// Whether the engine can serve.
    public var healthy: Bool
    /// Why not, on a readiness answer that is not healthy.
    public var reason: String?

    /// Creates a health answer.
    public init(healthy: Bool, reason: String? = nil) {
        self.healthy = healthy
        self.reason = reason
    }
}
