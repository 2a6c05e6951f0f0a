import AsyncHTTPClient
import Foundation
@_exported import GatehouseWire

/// A client for Gatehouse (and any server that speaks Arcade's auth API).
///
/// ```swift
/// let client = try GatehouseClient()   // GATEHOUSE_API_KEY / _BASE_URL, else ARCADE_*
/// var auth = try await client.auth.start(userID: "alice", provider: "google", scopes: ["..."])
/// if auth.status != .completed { print(auth.url!) }
/// auth = try await client.auth.waitForCompletion(auth)
/// ```
public struct GatehouseClient: Sendable {
    /// Timeouts and retries.
    public struct Configuration: Sendable {
        /// The time one try of an HTTP request may take (long-polls add their `wait` to it); a call
        /// with its retries may take up to `maxRetries + 1` times that, and the backoffs.
        public var timeout: Duration
        /// How often a failed request is retried (connection errors and timeouts, 408, 429, 5xx;
        /// the server's `x-should-retry` decides first).
        public var maxRetries: Int
        /// The first retry's delay; it doubles up to `maxBackoff`, and each delay is cut by up to
        /// a quarter at random, so that clients turned away together do not come back together.
        public var initialBackoff: Duration
        /// The longest delay between retries.
        public var maxBackoff: Duration

        /// Creates a configuration; the defaults (retries, backoff, timeout) are the official Arcade
        /// clients'. Unlike them, a 409 is not retried unless the server says so.
        public init(
            timeout: Duration = .seconds(60), maxRetries: Int = 2, initialBackoff: Duration = .milliseconds(500),
            maxBackoff: Duration = .seconds(8)
        ) {
            self.timeout = timeout
            self.maxRetries = maxRetries
            self.initialBackoff = initialBackoff
            self.maxBackoff = maxBackoff
        }
    }

    let transport: APITransport

    /// Authorization calls: start, status, wait, confirm.
    public var auth: AuthResource { AuthResource(transport: transport) }
    /// Administration: providers and user connections.
    public var admin: AdminResource { AdminResource(transport: transport) }

    /// Creates a client. The key defaults to `GATEHOUSE_API_KEY`, else `ARCADE_API_KEY`; the URL
    /// to `GATEHOUSE_BASE_URL`, else `ARCADE_BASE_URL`, else `http://127.0.0.1:9099`. The
    /// Gatehouse names come first: set, they are meant for Gatehouse, where an `ARCADE_*` one
    /// may be meant for Arcade's own service. So a key from `GATEHOUSE_API_KEY` is not sent to
    /// `ARCADE_BASE_URL`: with that pair alone (no `GATEHOUSE_BASE_URL`, no `baseURL:`) the
    /// client is refused (`GatehouseClientError.mixedEnvironment`).
    public init(
        apiKey: String? = nil, baseURL: String? = nil, configuration: Configuration = .init(),
        httpClient: HTTPClient = GatehouseClient.sharedHTTPClient,
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws {
        // A key read from a file (a Kubernetes secret, `$(cat key)` of a CRLF file) may end in
        // a line break, which no key holds.
        guard
            let key = (apiKey ?? environment["GATEHOUSE_API_KEY"] ?? environment["ARCADE_API_KEY"])?
                .trimmingCharacters(in: .whitespacesAndNewlines), !key.isEmpty
        else {
            throw GatehouseClientError.missingAPIKey
        }
        // Any other control character would be refused by the HTTP client, in an error that
        // quotes the whole header, key and all.
        guard !key.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) else {
            throw GatehouseClientError.invalidAPIKey
        }
        // A Gatehouse key (often an admin's) must not reach a URL meant for Arcade's service.
        if apiKey == nil, baseURL == nil, environment["GATEHOUSE_API_KEY"] != nil, environment["GATEHOUSE_BASE_URL"] == nil,
            environment["ARCADE_BASE_URL"] != nil
        {
            throw GatehouseClientError.mixedEnvironment
        }
        self.transport = APITransport(
            baseURL: try Self.baseURL(baseURL, environment: environment), apiKey: key, configuration: configuration,
            httpClient: httpClient)
    }

    /// The base URL: `given`, else `GATEHOUSE_BASE_URL`, else `ARCADE_BASE_URL`, else the default.
    package static func baseURL(_ given: String?, environment: [String: String]) throws -> String {
        var base = given ?? environment["GATEHOUSE_BASE_URL"] ?? environment["ARCADE_BASE_URL"] ?? "http://127.0.0.1:9099"
        while base.hasSuffix("/") { base.removeLast() }
        guard let url = URL(string: base), url.scheme == "http" || url.scheme == "https" else {
            throw GatehouseClientError.invalidBaseURL(base)
        }
        return base
    }

    /// The HTTP client used unless one is given: it fails a request at once when the server
    /// refuses the connection (the client's own retries then apply), instead of retrying the
    /// connection until the request's deadline as `HTTPClient.shared` does.
    public static let sharedHTTPClient: HTTPClient = {
        var configuration = HTTPClient.Configuration()
        configuration.connectionPool.retryConnectionEstablishment = false
        // Shorter than any usual request timeout, so that a host that never answers the
        // connection reads as unreachable (`connection`), not as slow (`noAnswer`); the official
        // clients' 5 s.
        configuration.timeout.connect = .seconds(5)
        return HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration)
    }()

    /// `GET /v1/health`.
    public func health() async throws -> HealthResponse {
        try await transport.send("GET", "/v1/health", as: HealthResponse.self)
    }

    /// Checks a server without an API key, as an orchestrator or a deploy script would:
    /// `GET /v1/health` (the process answers), or with `ready` `GET /v1/health/ready` (it can
    /// serve: its store answers). A readiness answer of 503 is an answer, `healthy` false with
    /// the server's reason, not an error. By default not retried, and given 10 s.
    public static func health(
        ready: Bool = false, baseURL: String? = nil, configuration: Configuration = .init(timeout: .seconds(10), maxRetries: 0),
        httpClient: HTTPClient = GatehouseClient.sharedHTTPClient,
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) async throws -> HealthResponse {
        let transport = APITransport(
            baseURL: try Self.baseURL(baseURL, environment: environment), apiKey: nil, configuration: configuration,
            httpClient: httpClient)
        do {
            return try await transport.send("GET", ready ? "/v1/health/ready" : "/v1/health", as: HealthResponse.self)
        } catch let error as GatehouseAPIError where ready && error.status == 503 {
            return HealthResponse(healthy: false, reason: error.message)
        }
    }
}
