import AsyncHTTPClient
import Foundation
import GatehouseCore
import NIOCore
import NIOHTTP1
import ServiceLifecycle
import Synchronization

/// The transport over AsyncHTTPClient, with the outbound guard: every name is resolved here,
/// the address is checked against the network policy, and the connection goes to exactly that
/// address (so a DNS answer that changes between check and connect changes nothing). Redirects
/// are never followed: a provider that answers 3xx gets its answer read as an error, and the
/// secret never travels to the redirect target.
package final class AsyncHTTPTransport: HTTPTransport, Service {
    private let policy: ProviderNetworkPolicy
    private let resolver: any HostResolver
    private let timeout: TimeAmount
    private let maxBodyBytes: Int
    // One client per (host, checked address): AsyncHTTPClient pins a name to an address only
    // per client (`dnsOverride`). Providers are few; past `maxClients` the least recently used
    // idle client is shut down (a client in use is never shut down under a request).
    private struct Pool {
        var clients: [String: (client: HTTPClient, inUse: Int, lastUsed: UInt64)] = [:]
        var clock: UInt64 = 0
        var shutDown = false
    }
    private let pool = Mutex(Pool())
    static let maxClients = 64
    /// How long a connection to a provider may take to open, within the call's `timeout`.
    static let connectTimeout = TimeAmount.seconds(5)

    /// Creates a transport.
    package init(
        policy: ProviderNetworkPolicy, resolver: any HostResolver = SystemResolver(), timeout: Duration = .seconds(15),
        maxBodyBytes: Int = 1 << 20
    ) {
        self.policy = policy
        self.resolver = resolver
        self.timeout = TimeAmount(timeout)
        self.maxBodyBytes = maxBodyBytes
    }

    /// Runs until shutdown, then closes every client.
    package func run() async throws {
        try? await gracefulShutdown()
        try await shutdown()
    }

    /// Closes every client; later sends fail.
    package func shutdown() async throws {
        let all = pool.withLock { pool in
            pool.shutDown = true
            defer { pool.clients.removeAll() }
            return pool.clients.values.map(\.client)
        }
        for client in all { try await client.shutdown() }
    }

    /// Sends a request to the checked address with the configured timeout and body limit. The
    /// timeout covers the whole answer, its body included: a provider that sends its head and
    /// then trickles (or withholds) the body is cut off with the others.
    package func send(_ request: OutboundRequest) async throws -> OutboundResponse {
        guard let url = URLComponents(string: request.url), let host = url.host, !host.isEmpty else {
            throw OutboundRefusal(reason: "the URL has no host")
        }
        let address = try await checkedAddress(host: host)
        let key = "\(host.lowercased())|\(address)"
        let client = try await acquire(key: key, host: host, address: address)
        defer { release(key: key) }
        var outbound = HTTPClientRequest(url: request.url)
        outbound.method = HTTPMethod(rawValue: request.method)
        for (name, value) in request.headers { outbound.headers.add(name: name, value: value) }
        if let body = request.body { outbound.body = .bytes(ByteBuffer(bytes: body)) }
        let deadline = NIODeadline.now() + timeout
        let response: HTTPClientResponse
        let body: ByteBuffer
        do {
            response = try await client.execute(outbound, deadline: deadline)
            body = try await Self.collect(response.body, upTo: maxBodyBytes, before: deadline)
        } catch {
            throw OutboundFailure.plain(error, timeout: timeout, connectTimeout: Self.connectTimeout)
        }
        var headers: [String: String] = [:]
        for header in response.headers { headers[header.name.lowercased()] = header.value }
        return OutboundResponse(status: Int(response.status.code), headers: headers, body: Array(buffer: body))
    }

    /// The body, unless it is not all there by `deadline`: then the reading stops (which ends
    /// the request and its connection) and the call fails as a request past its deadline does.
    static func collect(_ body: HTTPClientResponse.Body, upTo limit: Int, before deadline: NIODeadline) async throws
        -> ByteBuffer
    {
        try await withThrowingTaskGroup(of: ByteBuffer?.self) { group in
            group.addTask { try await body.collect(upTo: limit) }
            group.addTask {
                try await Task.sleep(for: .nanoseconds(max(0, (deadline - .now()).nanoseconds)))
                return nil
            }
            defer { group.cancelAll() }
            guard let first = try await group.next(), let collected = first else {
                throw HTTPClientError.deadlineExceeded
            }
            return collected
        }
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

    /// The client for a (host, address) pair, marked in use; made on first use.
    private func acquire(key: String, host: String, address: IPAddress) async throws -> HTTPClient {
        var made: HTTPClient?
        while true {
            let (found, evicted, closed): (HTTPClient?, [HTTPClient], Bool) = pool.withLock { pool in
                guard !pool.shutDown else { return (nil, made.map { [$0] } ?? [], true) }
                pool.clock += 1
                if var entry = pool.clients[key] {
                    entry.inUse += 1
                    entry.lastUsed = pool.clock
                    pool.clients[key] = entry
                    return (entry.client, made.map { [$0] } ?? [], false)
                }
                guard let made else { return (nil, [], false) }
                pool.clients[key] = (made, 1, pool.clock)
                var evicted: [HTTPClient] = []
                while pool.clients.count > Self.maxClients,
                    let idle = pool.clients.filter({ $0.value.inUse == 0 }).min(by: { $0.value.lastUsed < $1.value.lastUsed })
                {
                    pool.clients[idle.key] = nil
                    evicted.append(idle.value.client)
                }
                return (made, evicted, false)
            }
            for client in evicted { try? await client.shutdown() }
            if closed { throw OutboundRefusal(reason: "Gatehouse is shutting down") }
            if let found { return found }
            made = makeClient(host: host, address: address)
        }
    }

    private func release(key: String) {
        pool.withLock { pool in
            if var entry = pool.clients[key] {
                entry.inUse -= 1
                pool.clients[key] = entry
            }
        }
    }

    private func makeClient(host: String, address: IPAddress) -> HTTPClient {
        var configuration = HTTPClient.Configuration()
        configuration.timeout.connect = Self.connectTimeout
        // A storm of expired tokens at one provider is that many refreshes at once: the default
        // of 8 connections per host queued them (100 refreshes of 100 ms took 2 s).
        configuration.connectionPool = .init(
            idleTimeout: configuration.connectionPool.idleTimeout, concurrentHTTP1ConnectionsPerHostSoftLimit: 256)
        configuration.connectionPool.retryConnectionEstablishment = false
        configuration.redirectConfiguration = .disallow
        if IPAddress(host) == nil { configuration.dnsOverride = [host: address.description] }
        return HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration)
    }
}
