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

    /// The routes, relative to `/v1`.
    var collection: RouteCollection<GatehouseRequestContext> {
        let routes = RouteCollection(context: GatehouseRequestContext.self)
        routes.post("auth/authorize") { request, context in
            try await broker.authorize(try await request.decode(as: AuthorizationRequest.self, context: context))
        }
        routes.get("auth/status") { request, context in
            try await status(request, context: context)
        }
        routes.addRoutes(confirmUser, atPath: "auth")
        return routes
    }

    /// `confirm_user`, also served at Arcade's Coordinator path `/api/v1/oauth/confirm_user`.
    var confirmUser: RouteCollection<GatehouseRequestContext> {
        let routes = RouteCollection(context: GatehouseRequestContext.self)
        routes.post("confirm_user") { request, context in
            try await broker.confirmUser(try await request.decode(as: ConfirmUserRequest.self, context: context))
        }
        return routes
    }

    private func status(_ request: Request, context: GatehouseRequestContext) async throws -> AuthorizationResponse {
        let query = request.decodedQuery
        guard let id = query["id"], !id.isEmpty else {
            throw GatehouseError.invalid("missing required query parameter 'id'")
        }
        var wait: Duration?
        if let text = query["wait"] {
            guard let seconds = Int(text), seconds >= 0 else {
                throw GatehouseError.invalid("query parameter 'wait' must be a whole number of seconds from 0 to \(Self.maxWait)")
            }
            // Arcade documents a maximum of 59 s; longer waits are clamped, not refused.
            wait = .seconds(min(seconds, Self.maxWait))
        }
        // A Gatehouse extension: answer a failed flow at once instead of holding the wait.
        let returnFailed = query["return_failed"] == "true"
        guard let waitFor = wait, waitFor > .zero, let key = context.apiKey else {
            return try await broker.status(id: id, wait: nil)
        }
        do {
            return try await limiter.parking(key) {
                // A handler, not a task per wait: shutting down ends every parked wait at once.
                try await withGracefulShutdownHandler {
                    try await broker.status(id: id, wait: waitFor, returnFailed: returnFailed)
                } onGracefulShutdown: {
                    Task { await broker.endWaits() }
                }
            }
        } catch is CancellationError {
            // Shutting down: answer with the current status instead of holding the server open.
            return try await broker.status(id: id, wait: nil)
        }
    }
}
