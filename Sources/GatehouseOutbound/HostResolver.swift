import Foundation
import GatehouseCore
import NIOPosix

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#else
    import Darwin
#endif

/// Turns a host name into addresses. The seam where the operator's static host map, and tests,
/// stand in for DNS.
package protocol HostResolver: Sendable {
    /// Every address the name has, in preference order.
    func addresses(of host: String) async throws -> [IPAddress]
}

/// The system resolver (`getaddrinfo`), run on NIO's blocking-I/O pool.
package struct SystemResolver: HostResolver {
    /// Creates the resolver.
    package init() {}

    /// Resolves through `getaddrinfo`.
    package func addresses(of host: String) async throws -> [IPAddress] {
        try await NIOThreadPool.singleton.runIfActive {
            var hints = addrinfo()
            #if canImport(Glibc)
                hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
            #else
                hints.ai_socktype = SOCK_STREAM
            #endif
            var list: UnsafeMutablePointer<addrinfo>?
            let status = getaddrinfo(host, nil, &hints, &list)
            guard status == 0, let first = list else {
                throw HostResolutionError(host: host, reason: String(cString: gai_strerror(status)))
            }
            defer { freeaddrinfo(first) }
            var found: [IPAddress] = []
            var cursor: UnsafeMutablePointer<addrinfo>? = first
            while let entry = cursor {
                if let raw = entry.pointee.ai_addr {
                    switch Int32(raw.pointee.sa_family) {
                    case AF_INET:
                        var address = raw.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { $0.pointee.sin_addr }
                        if let ip = IPAddress(bytes: withUnsafeBytes(of: &address) { Array($0) }) { found.append(ip) }
                    case AF_INET6:
                        var address = raw.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { $0.pointee.sin6_addr }
                        if let ip = IPAddress(bytes: withUnsafeBytes(of: &address) { Array($0) }) { found.append(ip) }
                    default:
                        break
                    }
                }
                cursor = entry.pointee.ai_next
            }
            var seen = Set<IPAddress>()
            return found.filter { seen.insert($0).inserted }
        }
    }
}

/// Fixed answers for some names (`security.static_hosts`, like `/etc/hosts`), the system
/// resolver for the rest. The answers are still checked against the network policy.
package struct StaticHostsResolver: HostResolver {
    private let hosts: [String: [IPAddress]]
    private let fallback: any HostResolver

    /// Creates a resolver with fixed answers (names compared case-insensitively).
    package init(_ hosts: [String: [IPAddress]], fallback: any HostResolver = SystemResolver()) {
        self.hosts = Dictionary(hosts.map { ($0.key.lowercased(), $0.value) }, uniquingKeysWith: +)
        self.fallback = fallback
    }

    /// The fixed answer, or the fallback's.
    package func addresses(of host: String) async throws -> [IPAddress] {
        if let fixed = hosts[host.lowercased()] { return fixed }
        return try await fallback.addresses(of: host)
    }
}

/// A name that did not resolve.
package struct HostResolutionError: Error, CustomStringConvertible {
    /// The name.
    package let host: String
    /// The resolver's reason.
    package let reason: String
    /// A one-line description.
    package var description: String { "cannot resolve \(host): \(reason)" }

    /// Creates the error.
    package init(host: String, reason: String) {
        self.host = host
        self.reason = reason
    }
}
