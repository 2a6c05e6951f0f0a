import GatehouseCore
import GatehouseWire
import Hummingbird
import ServiceLifecycle

/// `/v1/auth/*`: authorize, status (long-poll) and confirm_user.
struct AuthRoutes {
    let broker: AuthBroker
    let limiter: KeyLimiter
    /// The longest `wait` accepted, in seconds.
    static let maxWait = 59

    func register(on group: RouterGroup<GatehouseRequestContext>) {
        group.post("auth/authorize") { request, context in
            let body = try await RequestDecoding.decode(AuthorizationRequest.self, from: request, context: context)
            return try JSONResponse.make(try await broker.authorize(body))
        }
        group.get("auth/status") { request, context in
            let query = request.decodedQuery
            guard let id = query["id"], !id.isEmpty else {
                throw GatehouseError.invalid("missing required query parameter 'id'")
            }
            var wait: Duration?
            if let text = query["wait"] {
                guard let seconds = Int(text), seconds >= 0 else {
                    throw GatehouseError.invalid(
                        "query parameter 'wait' must be a whole number of seconds from 0 to \(Self.maxWait)")
                }
                // Arcade documents a maximum of 59 s; longer waits are clamped, not refused.
                wait = .seconds(min(seconds, Self.maxWait))
            }
            guard let waitFor = wait, waitFor > .zero, let key = context.apiKey else {
                return try JSONResponse.make(try await broker.status(id: id, wait: nil))
            }
            do {
                return try await limiter.parking(key) {
                    try JSONResponse.make(try await cancelWhenGracefulShutdown { try await broker.status(id: id, wait: waitFor) })
                }
            } catch is CancellationError {
                // Shutting down: answer with the current status instead of holding the server open.
                return try JSONResponse.make(try await broker.status(id: id, wait: nil))
            }
        }
        registerConfirmAlias(on: group, path: "auth/confirm_user")
    }

    /// `confirm_user`, also served at Arcade's Coordinator path `/api/v1/oauth/confirm_user`.
    func registerConfirmAlias(on group: RouterGroup<some RequestContext>, path: String = "confirm_user") {
        group.post(RouterPath(path)) { request, context in
            let body = try await RequestDecoding.decode(ConfirmUserRequest.self, from: request, context: context)
            return try JSONResponse.make(try await broker.confirmUser(body))
        }
    }
}
