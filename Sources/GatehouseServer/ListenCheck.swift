import Foundation
import NIOCore

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#else
    import Darwin
#endif

/// The start's check that the server can listen where it is told to, made before anything else:
/// a port in use or a host that is not this machine's would otherwise be found only after the
/// store was opened and the first admin key made and shown, and said in SwiftNIO's words.
package enum ListenCheck {
    /// Throws a `ConfigurationError` naming the address and why it cannot be listened on.
    package static func verify(host: String, port: Int) throws {
        let address: SocketAddress
        do {
            address = try SocketAddress.makeAddressResolvingHost(host, port: port)
        } catch {
            throw ConfigurationError(
                description: "cannot listen on \(host):\(port): the host does not resolve (--host, GATEHOUSE_HOST or api.host)")
        }
        #if canImport(Glibc)
            let stream = Int32(SOCK_STREAM.rawValue)
        #else
            let stream = SOCK_STREAM
        #endif
        let fd = socket(address.protocol.rawValue, stream, 0)
        // No socket to try with: the server's own attempt says what is wrong.
        guard fd >= 0 else { return }
        defer { close(fd) }
        // As the server binds (SwiftNIO sets it too): a port left in TIME_WAIT is free.
        var on: Int32 = 1
        _ = setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, socklen_t(MemoryLayout<Int32>.size))
        guard address.withSockAddr({ bind(fd, $0, socklen_t($1)) }) != 0 else { return }
        throw refusal(host: host, port: port, errno: errno)
    }

    /// The server's own bind failing the same way, when the port was taken after the check: said
    /// as the check says it, not in SwiftNIO's words. Nil for any other error.
    package static func bindFailure(_ error: any Error, host: String, port: Int) -> ConfigurationError? {
        guard let error = error as? IOError, [EADDRINUSE, EADDRNOTAVAIL, EACCES].contains(error.errnoCode) else {
            return nil
        }
        return refusal(host: host, port: port, errno: error.errnoCode)
    }

    private static func refusal(host: String, port: Int, errno: Int32) -> ConfigurationError {
        let reason =
            switch errno {
            case EADDRINUSE: "another process listens on that port"
            case EADDRNOTAVAIL: "the address is not one of this machine's"
            case EACCES: "a port below 1024 needs privileges this process does not have"
            default: String(cString: strerror(errno))
            }
        return ConfigurationError(
            description:
                "cannot listen on \(host):\(port): \(reason) (--host and --port, GATEHOUSE_HOST and GATEHOUSE_PORT, or api.host and api.port)"
        )
    }
}
