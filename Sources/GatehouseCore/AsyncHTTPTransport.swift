import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import ServiceLifecycle
import Synchronization

/// The transport over AsyncHTTPClient, with the outbound guard: every name is resolved here,
/// the address is checked against the network policy, and the connection goes to exactly that
/// address (so a DNS answer that changes between check and connect changes nothing). Redirects
/// are never followed: a provider that answers 3xx gets its answer read as an error, and the
/// secret never travels to the redirect target.
public final class AsyncHTTPTransport: HTTPTransport, Service {
    private let policy: ProviderNetworkPolicy
    private let resolver: any HostResolver
    private let timeout: TimeAmount
    private let maxBodyBytes: Int
    // One client per (host, checked address): AsyncHTTPClient pins a name to an address only
    // per client (`dnsOverride`). Providers are few; the map is bounded and evicts the oldest.
    private let clients = Mutex<[String: HTTPClient]>([:])
    private let order = Mutex<[String]>([])
    static let maxClients = 64

    /// Creates a transport.
    public init(
        policy: ProviderNetworkPolicy, resolver: any HostResolver = SystemResolver(), timeout: Duration = .seconds(15),
        maxBodyBytes: Int = 1 << 20
    ) {
        self.policy = policy
        self.resolver = resolver
        self.timeout = .nanoseconds(
            Int64(timeout.components.seconds) * 1_000_000_000 + timeout.components.attoseconds / 1_000_000_000)
        self.maxBodyBytes = maxBodyBytes
    }

    /// Runs until shutdown, then closes every client.
    public func run() async throws {
        try? await gracefulShutdown()
        try await shutdown()
    }

    /// Closes every client.
    public func shutdown() async throws {
        let all = clients.withLock { clients in
            defer { clients.removeAll() }
            return Array(clients.values)
        }
        for client in all { try await client.shutdown() }
    }

    /// Sends a request to the checked address with the configured timeout and body limit.
    public func send(_ request: OutboundRequest) async throws -> OutboundResponse {
        guard let url = URLComponents(string: request.url), let host = url.host, !host.isEmpty else {
            throw OutboundRefusal(reason: "the URL has no host")
        }
        let address = try await checkedAddress(host: host)
        let client = try await client(host: host, address: address)
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

    /// The first address of the host the policy allows; refuses when there is none.
    func checkedAddress(host: String) async throws -> IPAddress {
        let candidates: [IPAddress]
        if let literal = IPAddress(host) {
            candidates = [literal]
        } else {
            candidates = try await resolver.addresses(of: host)
        }
        var refusals: [String] = []
        for address in candidates {
            guard let refusal = policy.refusal(for: address) else { return address }
            refusals.append(refusal)
        }
        throw OutboundRefusal(
            reason: refusals.isEmpty ? "\(host) has no address" : "\(host) resolves to \(refusals.joined(separator: "; "))")
    }

    private func client(host: String, address: IPAddress) async throws -> HTTPClient {
        let key = "\(host.lowercased())|\(address)"
        if let existing = clients.withLock({ $0[key] }) { return existing }
        var configuration = HTTPClient.Configuration()
        // Fail fast on a refused connection (the refresh backoff handles it) instead of
        // retrying until the deadline.
        configuration.connectionPool.retryConnectionEstablishment = false
        configuration.timeout.connect = .seconds(5)
        configuration.redirectConfiguration = .disallow
        if IPAddress(host) == nil { configuration.dnsOverride = [host: address.description] }
        let made = HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration)
        var evicted: [HTTPClient] = []
        let client = clients.withLock { clients in
            if let raced = clients[key] {
                evicted.append(made)
                return raced
            }
            clients[key] = made
            order.withLock { order in
                order.append(key)
                while order.count > Self.maxClients {
                    if let old = clients.removeValue(forKey: order.removeFirst()) { evicted.append(old) }
                }
            }
            return made
        }
        for old in evicted { try? await old.shutdown() }
        return client
    }
}

/// An outbound call the network policy refused before connecting.
public struct OutboundRefusal: Error, CustomStringConvertible {
    /// Why, naming the address and the setting that would allow it.
    public let reason: String
    /// A one-line description.
    public var description: String { "refused to connect: \(reason)" }
}
