import Foundation
import GatehousePostgres
import GatehouseTestSupport
import Logging
import NIOCore
import NIOPosix
import Testing

/// A start on settings PostgreSQL refuses says why, at once; one on a server that does not
/// answer says so after the wait.
@Suite(.enabled(if: StoreBackend.available.contains(.postgres), "needs GATEHOUSE_TEST_POSTGRES_URL (scripts/test.sh)"))
struct PostgresProbeTests {
    let logger = Logger(label: "test")

    @Test func theRightSettingsPass() async throws {
        try await PostgresProbe.check(try StoreBackend.postgresSettings(), logger: logger, within: .seconds(5))
    }

    @Test(arguments: [
        ("role", #"role "gh_no_such_role" does not exist (SQLSTATE 28000)"#),
        ("database", #"database "gh_no_such_database" does not exist (SQLSTATE 3D000)"#),
    ])
    func aRefusalNoRetryMendsIsSaidAtOnce(wrong: String, says: String) async throws {
        var settings = try StoreBackend.postgresSettings()
        switch wrong {
        case "role": settings.username = "gh_no_such_role"
        default: settings.database = "gh_no_such_database"
        }
        let started = ContinuousClock.now
        let error = await #expect(throws: PostgresSettingsError.self) {
            try await PostgresProbe.check(settings, logger: logger, within: .seconds(10))
        }
        #expect(error?.reason.contains(says) == true, "\(error?.reason ?? "")")
        #expect(ContinuousClock.now - started < .seconds(5), "a permanent refusal is not waited out")
    }

    @Test func aServerThatDoesNotAnswerIsSaidAfterTheWait() async throws {
        var settings = try StoreBackend.postgresSettings()
        settings.host = "127.0.0.1"
        settings.port = 1
        let error = await #expect(throws: PostgresSettingsError.self) {
            try await PostgresProbe.check(settings, logger: logger, within: .seconds(1))
        }
        #expect(error?.reason == "no connection within 1 s: connection refused at 127.0.0.1:1")
    }

    @Test func aServerWithoutTLSIsSaidAtOnce() async throws {
        // The test server offers TLS; a listener that answers PostgreSQL's TLS request with
        // "N", as a server without TLS does, stands for one.
        let listener = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .childChannelInitializer { $0.pipeline.addHandler(RefusingTLS()) }
            .bind(host: "127.0.0.1", port: 0).get()
        defer { listener.close(promise: nil) }
        var settings = try StoreBackend.postgresSettings()
        settings.port = try #require(listener.localAddress?.port)
        settings.tls = .require
        let started = ContinuousClock.now
        let error = await #expect(throws: PostgresSettingsError.self) {
            try await PostgresProbe.check(settings, logger: logger, within: .seconds(10))
        }
        #expect(error?.reason == "the server does not offer TLS, which sslmode=require requires")
        #expect(ContinuousClock.now - started < .seconds(5), "a permanent refusal is not waited out")
    }
}

/// Answers every request with "N": PostgreSQL's "no TLS here".
private final class RefusingTLS: ChannelInboundHandler, Sendable {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        context.writeAndFlush(wrapOutboundOut(ByteBuffer(string: "N")), promise: nil)
    }
}
