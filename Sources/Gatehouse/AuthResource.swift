/// `client.auth`: start an authorization, check it, wait for it, confirm its user.
public struct AuthResource: Sendable {
    let transport: APITransport
    /// The long-poll wait per status call, as the official clients use.
    public static let longPollWait = 45

    /// Starts (or short-circuits) an authorization for a user at a provider.
    public func start(userID: String, provider: String, scopes: [String] = []) async throws -> AuthorizationResponse {
        try await authorize(
            AuthorizationRequest(
                authRequirement: .init(providerID: provider, providerType: "oauth2", oauth2: .init(scopes: scopes)),
                userID: userID))
    }

    /// `POST /v1/auth/authorize` with a full requirement (a specific provider `id`, `nextURI`).
    public func authorize(_ request: AuthorizationRequest) async throws -> AuthorizationResponse {
        try await transport.send("POST", "/v1/auth/authorize", body: request, as: AuthorizationResponse.self)
    }

    /// `GET /v1/auth/status`; with `wait` (up to 59 s) the server answers early only on completion.
    public func status(id: String, wait: Int? = nil) async throws -> AuthorizationResponse {
        try await status(id: id, wait: wait, returnFailed: false)
    }

    private func status(id: String, wait: Int?, returnFailed: Bool) async throws -> AuthorizationResponse {
        var query = [("id", id)]
        if let wait { query.append(("wait", String(wait))) }
        // Gatehouse answers a failed flow's long-poll at once when asked (Arcade's server and
        // the official clients hold it for the whole wait).
        if returnFailed { query.append(("return_failed", "true")) }
        return try await transport.send(
            "GET", "/v1/auth/status", query: query, extraTimeout: .seconds(wait ?? 0), as: AuthorizationResponse.self)
    }

    /// Long-polls until the authorization completes. Unlike the official clients it stops on
    /// `failed` (throwing `GatehouseClientError.authorizationFailed`), and on `timeout`: by then,
    /// whatever a request in flight does (`GatehouseClientError.timedOut`), and until then a
    /// server that cannot answer for a while (unreachable, 408, 429, 5xx, after the client's
    /// retries) is asked again a second later. Without a timeout such an error ends the wait, as
    /// with the official clients. Cancelling the calling task stops it.
    public func waitForCompletion(_ response: AuthorizationResponse, timeout: Duration? = nil) async throws
        -> AuthorizationResponse
    {
        if response.status == .completed { return response }
        guard let id = response.id else { throw GatehouseClientError.invalidResponse("the authorization has no id") }
        return try await waitForCompletion(id: id, timeout: timeout)
    }

    /// Long-polls an authorization id until it completes; see `waitForCompletion(_:timeout:)`.
    public func waitForCompletion(id: String, timeout: Duration? = nil) async throws -> AuthorizationResponse {
        let clock = ContinuousClock()
        let deadline = timeout.map { clock.now.advanced(by: $0) }
        var last = AuthorizationResponse(id: id, status: .pending)
        while true {
            try Task.checkCancellation()
            var wait = Self.longPollWait
            if let deadline {
                let left = clock.now.duration(to: deadline)
                wait = min(wait, Int(left.components.seconds))
                // The server waits in whole seconds, and a wait of 0 answers at once: under a
                // second left, the rest is slept here, and the status asked once at the deadline.
                if wait < 1 {
                    if left > .zero { try await Task.sleep(until: deadline, clock: clock) }
                    wait = 0
                }
            }
            let current: AuthorizationResponse
            do {
                current = try await poll(id: id, wait: wait, until: deadline, clock: clock)
            } catch is Deadline.Passed {
                throw GatehouseClientError.timedOut(last)
            } catch let failure where deadline != nil && Self.isTransient(failure) {
                // A restart, or an outage shorter than the wait: the flow may still complete.
                guard let deadline, clock.now < deadline else { throw GatehouseClientError.timedOut(last) }
                try await Task.sleep(for: min(.seconds(1), clock.now.duration(to: deadline)))
                continue
            }
            last = current
            switch current.status {
            case .completed?: return current
            case .failed?: throw GatehouseClientError.authorizationFailed(current)
            default:
                if let deadline, clock.now >= deadline { throw GatehouseClientError.timedOut(current) }
            }
        }
    }

    /// One status long-poll; with a deadline, answered by it (and a second's grace for the
    /// server's own answer at the end of its wait) whatever the request and its retries do.
    private func poll(id: String, wait: Int, until deadline: ContinuousClock.Instant?, clock: ContinuousClock)
        async throws -> AuthorizationResponse
    {
        guard let deadline else { return try await status(id: id, wait: wait, returnFailed: true) }
        return try await Deadline.run(within: clock.now.duration(to: deadline) + .seconds(1)) {
            try await status(id: id, wait: wait, returnFailed: true)
        }
    }

    /// An error a later poll may not meet: no server for now, or one that says to come back.
    static func isTransient(_ error: any Error) -> Bool {
        if (error as? GatehouseClientError)?.isServerUnavailable == true { return true }
        guard let error = error as? GatehouseAPIError else { return false }
        return APITransport.isRetryable(error.status)
    }

    /// `POST /v1/auth/confirm_user`: your verifier says which of your users is signed in.
    public func confirmUser(flowID: String, userID: String) async throws -> ConfirmUserResponse {
        try await transport.send(
            "POST", "/v1/auth/confirm_user", body: ConfirmUserRequest(flowID: flowID, userID: userID),
            as: ConfirmUserResponse.self)
    }
}
