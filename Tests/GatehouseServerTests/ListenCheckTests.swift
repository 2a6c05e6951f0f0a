import Foundation
import Hummingbird
import Logging
import NIOCore
import Testing

@testable import GatehouseServer

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#else
    import Darwin
#endif

/// A port another process holds is said as a refused start, whether the start's check finds it or
/// the server's own bind does (the port taken after the check).
struct ListenCheckTests {
    @Test func aPortInUseIsRefusedByTheCheck() async throws {
        try await withListener { port in
            let error = #expect(throws: ConfigurationError.self) { try ListenCheck.verify(host: "127.0.0.1", port: port) }
            #expect(
                "\(error.map { "\($0)" } ?? "")".contains(
                    "cannot listen on 127.0.0.1:\(port): another process listens on that port"))
        }
    }

    @Test(.timeLimit(.minutes(1))) func theServersOwnBindOnAPortInUseIsSaidAsTheCheckSaysIt() async throws {
        try await withListener { port in
            // What `serve` meets when the port is taken between the check and the bind.
            let app = Application(
                router: Router(), configuration: .init(address: .hostname("127.0.0.1", port: port)),
                logger: Logger(label: "test"))
            var thrown: (any Error)?
            do { try await app.run() } catch { thrown = error }
            let error = try #require(thrown)
            let refusal = try #require(ListenCheck.bindFailure(error, host: "127.0.0.1", port: port))
            #expect("\(refusal)".contains("cannot listen on 127.0.0.1:\(port): another process listens on that port"))
            #expect("\(refusal)".contains("GATEHOUSE_PORT"))
        }
    }

    @Test func otherErrorsAreNotTakenForAPortInUse() {
        #expect(ListenCheck.bindFailure(IOError(errnoCode: ECONNRESET, reason: "read"), host: "h", port: 1) == nil)
        #expect(ListenCheck.bindFailure(CancellationError(), host: "h", port: 1) == nil)
    }

    /// Runs `body` while a listening socket holds a free port on 127.0.0.1.
    private func withListener(_ body: (Int) async throws -> Void) async throws {
        #if canImport(Glibc)
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        #else
            let fd = socket(AF_INET, SOCK_STREAM, 0)
        #endif
        try #require(fd >= 0)
        defer { close(fd) }
        var on: Int32 = 1
        _ = setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, socklen_t(MemoryLayout<Int32>.size))
        let address = try SocketAddress(ipAddress: "127.0.0.1", port: 0)
        try #require(address.withSockAddr { bind(fd, $0, socklen_t($1)) } == 0 && listen(fd, 8) == 0)
        var bound = sockaddr_in()
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &bound) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        try await body(Int(UInt16(bigEndian: bound.sin_port)))
    }
}
