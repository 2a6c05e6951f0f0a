/// Errors the client raises itself, before or after talking to the server.
public enum GatehouseClientError: Error, Sendable, Equatable, CustomStringConvertible {
    /// No API key was given or found in the environment.
    case missingAPIKey
    /// The API key holds a control character (not shown: it is a secret).
    case invalidAPIKey
    /// The base URL is not an http(s) URL.
    case invalidBaseURL(String)
    /// `GATEHOUSE_API_KEY` is set with `ARCADE_BASE_URL` and no `GATEHOUSE_BASE_URL`: the key is
    /// not sent to a URL that may be Arcade's own service.
    case mixedEnvironment
    /// The server could not be reached (refused, no route, not within the 5 s connect timeout),
    /// or the connection broke before an answer, after retries.
    case connection(String)
    /// No answer came within the timeout, after retries: the server has the request, or (with a
    /// timeout of 5 s or less) may still have been connecting.
    case noAnswer(String)
    /// The authorization ended in `failed`.
    case authorizationFailed(AuthorizationResponse)
    /// `waitForCompletion` ran out of time.
    case timedOut(AuthorizationResponse)
    /// The response lacked something the call needs.
    case invalidResponse(String)

    /// Whether no server answered (`connection`, `noAnswer`): a later try may find one.
    public var isServerUnavailable: Bool {
        switch self {
        case .connection, .noAnswer: true
        default: false
        }
    }

    /// A readable explanation.
    public var description: String {
        switch self {
        case .missingAPIKey: "no API key: pass apiKey: or set ARCADE_API_KEY (or GATEHOUSE_API_KEY)"
        case .invalidAPIKey: "the API key holds a control character: check how it was copied or read"
        case .invalidBaseURL(let url): "the base URL '\(url)' is not an http(s) URL"
        case .mixedEnvironment:
            "GATEHOUSE_API_KEY is set with ARCADE_BASE_URL but no GATEHOUSE_BASE_URL: set GATEHOUSE_BASE_URL (or pass baseURL:) to Gatehouse's URL, so that its key does not go to a URL meant for Arcade"
        case .connection(let reason): "cannot reach the server: \(reason)"
        case .noAnswer(let reason): "the server did not answer in time: \(reason)"
        case .authorizationFailed(let response):
            "authorization \(response.id ?? "?") failed" + (response.statusReason.map { ": \($0)" } ?? "")
        case .timedOut(let response): "authorization \(response.id ?? "?") did not complete in time"
        case .invalidResponse(let reason): "unexpected response: \(reason)"
        }
    }
}

/// An error answer from the server, typed by HTTP status like the official clients.
public struct GatehouseAPIError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The class of error, by status.
    public enum Kind: Sendable, Equatable {
        /// 400.
        case badRequest
        /// 401.
        case authentication
        /// 403.
        case permissionDenied
        /// 404.
        case notFound
        /// 409.
        case conflict
        /// 422.
        case unprocessableEntity
        /// 429.
        case rateLimited
        /// 5xx.
        case server
        /// Any other status.
        case other
    }

    /// The class of error.
    public var kind: Kind
    /// The HTTP status.
    public var status: Int
    /// The server's error code (`name`), such as `user_mismatch`.
    public var name: String?
    /// The server's message.
    public var message: String
    /// The answer's `X-Request-Id`: the `request_id` of the server's log line for this request.
    public var requestID: String?

    /// Creates an error from a status, the body's fields and the answer's request id.
    public init(status: Int, name: String?, message: String, requestID: String? = nil) {
        self.status = status
        self.name = name
        self.message = message
        self.requestID = requestID
        self.kind =
            switch status {
            case 400: .badRequest
            case 401: .authentication
            case 403: .permissionDenied
            case 404: .notFound
            case 409: .conflict
            case 422: .unprocessableEntity
            case 429: .rateLimited
            case 500...: .server
            default: .other
            }
    }

    /// Status, code, message and request id.
    public var description: String {
        "HTTP \(status)\(name.map { " \($0)" } ?? ""): \(message)" + (requestID.map { " (request \($0))" } ?? "")
    }
}
