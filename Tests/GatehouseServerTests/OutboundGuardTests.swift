import Foundation
import GatehouseCore
import GatehouseOutbound
import Hummingbird
import NIOCore
import Synchronization
import Testing

/// The real transport against real local HTTP servers: pinned addresses, refused networks,
/// redirects not followed.
@Suite struct OutboundGuardTests {
    struct FixedResolver: HostResolver {
        let answers: [String: [IPAddress]]
        func addresses(of host: String) async throws -> [IPAddress] {
            guard let found = answers[host] else { throw HostResolutionError(host: host, reason: "unknown in test") }
            return found
        }
    }

    /// Runs a server on 127.0.0.1 with these routes; `body` gets its port. (Not
    /// `app.test(.live)`, which moves the server to `localhost`: the tests pin addresses.)
    static func withServer(
        _ routes: (Router<BasicRequestContext>) -> Void, _ body: @escaping @Sendable (Int) async throws -> Void
    ) async throws {
        let router = Router()
        routes(router)
        let (ports, listening) = AsyncStream.makeStream(of: Int.self)
        let app = Application(
            router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)),
            onServerRunning: { channel in
                listening.yield(channel.localAddress?.port ?? 0)
                listening.finish()
            })
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                // A server that cannot listen ends the wait for its port (the test then fails).
                defer { listening.finish() }
                try await app.run()
            }
            defer { group.cancelAll() }
            var waiting = ports.makeAsyncIterator()
            try await body(try #require(await waiting.next()))
        }
    }

    @Test func aNameIsPinnedToTheCheckedAddress() async throws {
        try await Self.withServer({ $0.get("/hello") { _, _ in "hi" } }) { port in
            // `pinned.test` exists only in this resolver: the request can reach the server only
            // through the address the guard checked.
            let transport = AsyncHTTPTransport(
                policy: ProviderNetworkPolicy(allowed: [IPNetwork("127.0.0.1/32")!]),
                resolver: FixedResolver(answers: ["pinned.test": [IPAddress("127.0.0.1")!]]))
            let response = try await transport.send(OutboundRequest(method: "GET", url: "http://pinned.test:\(port)/hello"))
            #expect(response.status == 200 && response.body == Array("hi".utf8))
            try await transport.shutdown()
        }
    }

    @Test func aNameThatResolvesToARestrictedAddressIsRefusedBeforeConnecting() async throws {
        let hits = Atomic<Int>(0)
        try await Self.withServer({
            $0.get("/token") { _, _ in
                hits.add(1, ordering: .relaxed); return "x"
            }
        }) { port in
            // A transport that allows 127.0.0.1 gets to the server.
            let allowing = AsyncHTTPTransport(
                policy: ProviderNetworkPolicy(allowed: [IPNetwork("127.0.0.1/32")!]),
                resolver: FixedResolver(answers: ["evil.test": [IPAddress("127.0.0.1")!]]))
            let reached: Result<Int, any Error>
            do {
                reached = .success(
                    try await allowing.send(OutboundRequest(method: "GET", url: "http://evil.test:\(port)/token")).status)
            } catch { reached = .failure(error) }
            try await allowing.shutdown()
            #expect(try reached.get() == 200)
            // One that allows only another network: refused, by name and by address, and
            // nothing more reaches the server.
            let transport = AsyncHTTPTransport(
                policy: ProviderNetworkPolicy(allowed: [IPNetwork("10.0.0.0/8")!]),
                resolver: FixedResolver(answers: ["evil.test": [IPAddress("127.0.0.1")!]]))
            await #expect(throws: OutboundRefusal.self) {
                _ = try await transport.send(OutboundRequest(method: "GET", url: "http://evil.test:\(port)/token"))
            }
            await #expect(throws: OutboundRefusal.self) {
                _ = try await transport.send(OutboundRequest(method: "GET", url: "http://127.0.0.1:\(port)/token"))
            }
            try await transport.shutdown()
        }
        #expect(hits.load(ordering: .relaxed) == 1)
    }

    @Test func redirectsAreNotFollowed() async throws {
        let secrets = Mutex<[String]>([])
        try await Self.withServer({
            $0.post("/collect") { request, _ in
                secrets.withLock { $0.append(request.headers[.authorization] ?? "") }
                return "stolen"
            }
        }) { collector in
            try await Self.withServer({
                $0.post("/token") { _, _ in
                    Response(status: .temporaryRedirect, headers: [.location: "http://127.0.0.1:\(collector)/collect"])
                }
            }) { port in
                let transport = AsyncHTTPTransport(policy: ProviderNetworkPolicy(allowed: ProviderNetworkPolicy.loopback))
                let response = try await transport.send(
                    OutboundRequest(
                        method: "POST", url: "http://127.0.0.1:\(port)/token", headers: [("Authorization", "Basic c2VjcmV0")],
                        body: Array("grant_type=authorization_code".utf8)))
                #expect(response.status == 307)
                try await transport.shutdown()
            }
        }
        #expect(secrets.withLock { $0 }.isEmpty)
    }

    /// A provider that sends its head at once and then its body a byte at a time: the call's
    /// time limit covers the body too, so the call fails instead of waiting for all of it.
    @Test func aBodyThatTricklesIsCutOffAtTheTimeLimit() async throws {
        try await Self.withServer({
            $0.post("/token") { _, _ in
                Response(
                    status: .ok, headers: [.contentType: "application/json", .contentLength: "40"],
                    body: ResponseBody { writer in
                        for _ in 0..<40 {
                            try await writer.write(ByteBuffer(string: " "))
                            try await Task.sleep(for: .milliseconds(250))
                        }
                        try await writer.finish(nil)
                    })
            }
        }) { port in
            let transport = AsyncHTTPTransport(
                policy: ProviderNetworkPolicy(allowed: ProviderNetworkPolicy.loopback), timeout: .seconds(1))
            // The whole body would take 10 s; the call ends at its deadline, having had the head.
            await #expect {
                _ = try await transport.send(OutboundRequest(method: "POST", url: "http://127.0.0.1:\(port)/token"))
            } throws: { String(describing: $0) == "no whole answer within 1 s" }
            try await transport.shutdown()
        }
    }

    /// What a person reads in the error body: "could not reach 127.0.0.1: connection refused",
    /// not SwiftNIO's "connection reset (error set): Connection refused) (errno: 111)".
    @Test func aRefusedConnectionIsSaidInPlainWords() async throws {
        // Port 1 (tcpmux), which nothing here serves, as the SDK's test of the same uses; a port
        // freed by another server could be taken by a test running beside this one.
        let transport = AsyncHTTPTransport(policy: ProviderNetworkPolicy(allowed: ProviderNetworkPolicy.loopback))
        await #expect {
            _ = try await transport.send(OutboundRequest(method: "POST", url: "http://127.0.0.1:1/token"))
        } throws: { String(describing: $0) == "connection refused" }
        try await transport.shutdown()
    }

    /// A request the HTTP client refuses before sending (a header value with a control
    /// character) is described without the value, which may be a token.
    @Test func aRefusedHeaderIsNotQuoted() async throws {
        let transport = AsyncHTTPTransport(policy: ProviderNetworkPolicy(allowed: ProviderNetworkPolicy.loopback))
        await #expect {
            _ = try await transport.send(
                OutboundRequest(method: "GET", url: "http://127.0.0.1:1/me", headers: [("Authorization", "Bearer AT\u{1}secret")])
            )
        } throws: { String(describing: $0) == "invalid header field values" }
        try await transport.shutdown()
    }
}
