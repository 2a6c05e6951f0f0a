import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1

/// An outbound HTTP request to a provider.
public struct OutboundRequest: Sendable, Equatable {
    /// `GET` or `POST`.
    public var method: String
    /// The full URL.
    public var url: String
    /// Header fields, in order.
    public var headers: [(String, String)]
    /// The body, if any.
    public var body: [UInt8]?

    /// Creates a request.
    public init(method: String, url: String, headers: [(String, String)] = [], body: [UInt8]? = nil) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
    }

    /// The first value of a header, case-insensitively.
    public func header(_ name: String) -> String? {
        headers.first { $0.0.lowercased() == name.lowercased() }?.1
    }

    /// Compares method, URL, headers and body.
    public static func == (lhs: OutboundRequest, rhs: OutboundRequest) -> Bool {
        lhs.method == rhs.method && lhs.url == rhs.url && lhs.body == rhs.body
            && lhs.headers.map { [$0.0, $0.1] } == rhs.headers.map { [$0.0, $0.1] }
    }
}

/// A provider's answer.
public struct OutboundResponse: Sendable, Equatable {
    /// The HTTP status.
    public var status: Int
    /// Header fields, names lower-cased.
    public var headers: [String: String]
    /// The body.
    public var body: [UInt8]

    /// Creates a response.
    public init(status: Int, headers: [String: String] = [:], body: [UInt8]) {
        self.status = status
        self.headers = headers
        self.body = body
    }
}

/// Sends requests to providers. The seam where tests put an in-process provider.
public protocol HTTPTransport: Sendable {
    /// Sends a request and reads the whole answer.
    func send(_ request: OutboundRequest) async throws -> OutboundResponse
}

/// The transport over AsyncHTTPClient.
public struct AsyncHTTPTransport: HTTPTransport {
    private let client: HTTPClient
    private let timeout: TimeAmount
    private let maxBodyBytes: Int

    /// A client that fails fast when a provider refuses connections (a transient error the
    /// refresh backoff handles), rather than retrying until the request's deadline.
    public static let sharedClient: HTTPClient = {
        var configuration = HTTPClient.Configuration()
        configuration.connectionPool.retryConnectionEstablishment = false
        configuration.timeout.connect = .seconds(5)
        return HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration)
    }()

    /// Creates a transport over `sharedClient` by default.
    public init(
        client: HTTPClient = AsyncHTTPTransport.sharedClient, timeout: Duration = .seconds(15), maxBodyBytes: Int = 1 << 20
    ) {
        self.client = client
        self.timeout = .nanoseconds(
            Int64(timeout.components.seconds) * 1_000_000_000 + timeout.components.attoseconds / 1_000_000_000)
        self.maxBodyBytes = maxBodyBytes
    }

    /// Sends a request with the configured timeout and body limit.
    public func send(_ request: OutboundRequest) async throws -> OutboundResponse {
        var outbound = HTTPClientRequest(url: request.url)
        outbound.method = HTTPMethod(rawValue: request.method)
        for (name, value) in request.headers { outbound.headers.add(name: name, value: value) }
        if let body = request.body { outbound.body = .bytes(ByteBuffer(bytes: body)) }
        let response = try await client.execute(outbound, timeout: timeout)
        let body = try await response.body.collect(upTo: maxBodyBytes)
        var headers: [String: String] = [:]
        for header in response.headers { headers[header.name.lowercased()] = header.value }
        return OutboundResponse(status: Int(response.status.code), headers: headers, body: Array(buffer: body))
    }
}
