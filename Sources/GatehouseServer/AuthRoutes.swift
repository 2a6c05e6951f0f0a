import GatehouseCore
import GatehouseWire
import Hummingbird

/// `/v1/auth/*`: authorize, status (long-poll) and confirm_user.
struct AuthRoutes {
    let broker: AuthBroker
    let keys: APIKeyService
    let limiter: KeyLimiter
    let parked: ParkedConnections
    /// The longest `wait` accepted, in seconds.
    static let maxWait = 59

    /// The routes, relative to `/v1`.
    var collection: RouteCollection<GatehouseRequestContext> {
        let routes = RouteCollection(context: GatehouseRequestContext.self)
        routes.post("auth/authorize") { request, context in
            try await broker.authorize(try await request.decode(as: AuthorizationRequest.self, context: context))
        }
        routes.get("auth/status") { request, context -> Response in
            try await status(request, context: context)
        }
        // GET's head without its body, and no wait (its place against the key's cap is taken
        // while the head is made). A wait's answer has no length known ahead: its HEAD gives none
        // either (the generated HEAD said `Content-Length: 0`), and SwiftNIO's encoder says
        // chunked, as for the GET.
        routes.head("auth/status") { request, context -> Response in
            let answer = try await status(request, context: context)
            guard answer.body.contentLength == nil else { return answer.createHeadResponse() }
            return Response(status: answer.status, headers: answer.headers, body: ResponseBody { try await $0.finish(nil) })
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

    private func status(_ request: Request, context: GatehouseRequestContext) async throws -> Response {
        let query = request.decodedQuery
        guard let id = query["id"], !id.isEmpty else {
            throw GatehouseError.invalid("missing required query parameter 'id'")
        }
        var wait: Duration?
        if let text = query["wait"] {
            // All digits but past Int: as long as the longest wait, like any other long one.
            let digits = !text.isEmpty && text.utf8.allSatisfy { (48...57).contains($0) }
            guard let seconds = Int(text) ?? (digits ? Self.maxWait : nil), seconds >= 0 else {
                throw GatehouseError.invalid(
                    "query parameter 'wait' must be a whole number of seconds, 0 or more (longer than \(Self.maxWait) waits \(Self.maxWait))"
                )
            }
            // Arcade documents a maximum of 59 s; longer waits are clamped, not refused.
            wait = .seconds(min(seconds, Self.maxWait))
        }
        // A Gatehouse extension: answer a failed flow at once instead of holding the wait.
        let returnFailed = query["return_failed"] == "true"
        let now = try await broker.status(id: id, wait: nil)
        guard let waitFor = wait, waitFor > .zero, let key = context.apiKey,
            now.status != .completed, !(returnFailed && now.status == .failed)
        else {
            return try JSONResponse.make(now)
        }
        // The wait is the answer's body: the head goes now, and the request's task, out of the
        // middleware and route frames by then, parks with only the server's frames beneath it
        // (see `RequestTaskResponder`).
        let slot = try limiter.park(key)
        let abandonment = WaitAbandonment()
        // The key's hash, not the key, waits with the request.
        let keyHash = SecretHash.hex(request.headers[.authorization].flatMap(APIKeyAuthenticator.key(in:)) ?? "")
        let poll = LongPoll(
            status: { [broker] in
                try await broker.status(id: id, wait: $0, returnFailed: returnFailed, abandonment: abandonment)
            },
            wait: waitFor, before: now, keyStillValid: { [keys] in try await keys.authenticate(hash: keyHash) != nil },
            slot: slot,
            watch: parked.watch(context.channel, abandonment), requestID: RequestCorrelation.id,
            logger: context.logger)
        return JSONResponse.streamed(poll.answer)
    }
}
