import HTTPTypes
import Logging
import NIOCore
import NIOEmbedded
import NIOHTTPTypes
import Testing

@testable import GatehouseServer

/// From a stop signal on (`api.shutdown_delay`), every answer ends its connection and says so.
extension HTTP1ExchangeTests {
    /// Answers the request read last with an empty 204, and returns the `Connection` header it
    /// reached the server with.
    func answer(_ channel: EmbeddedChannel) throws -> String? {
        var seen: String??
        while let part = try channel.readInbound(as: HTTPRequestPart.self) {
            if case .head(let head) = part { seen = head.headerFields[.connection] }
        }
        try channel.writeOutbound(HTTPResponsePart.head(HTTPResponse(status: .noContent)))
        try channel.writeOutbound(HTTPResponsePart.end(nil))
        return try #require(seen, "a request was read")
    }

    @Test func aRequestReadOnceTheStopBeganReachesHummingbirdAsCloseAndItsAnswerSaysSo() throws {
        let drain = ShutdownDrain(delay: .seconds(5), logger: Logger(label: "test"))
        let channel = try connection(drain: drain)
        try channel.writeInbound(ByteBuffer(string: "GET /a HTTP/1.1\r\nHost: x\r\n\r\n"))
        #expect(try answer(channel) == nil)
        #expect(!(try written(channel).lowercased().contains("connection: close")))

        drain.begin()
        try channel.writeInbound(ByteBuffer(string: "GET /b HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"))
        // Hummingbird closes the connection after answering a request that says exactly this.
        #expect(try answer(channel) == "close")
        let answer = try written(channel).lowercased()
        #expect(answer.contains("connection: close\r\n") && !answer.contains("keep-alive"), "\(answer)")
        _ = try? channel.finish()
    }

    @Test func aRequestReadBeforeTheStopAndAnsweredAfterItEndsItsConnection() throws {
        let closes = CloseRecorder()
        let drain = ShutdownDrain(delay: .seconds(5), logger: Logger(label: "test"))
        let channel = try connection(closes: closes, drain: drain)
        // A parked wait, say: read before the stop, answered during its pause.
        try channel.writeInbound(ByteBuffer(string: "GET /a HTTP/1.1\r\nHost: x\r\n\r\n"))
        drain.begin()
        #expect(try answer(channel) == nil)
        let answer = try written(channel).lowercased()
        #expect(answer.hasPrefix("http/1.1 204") && answer.contains("connection: close\r\n"), "\(answer)")
        // The server ends it (RFC 9112 §9.6), its output only, and reads nothing after it.
        #expect(closes.modes == [.output])
        try channel.writeInbound(ByteBuffer(string: "GET /b HTTP/1.1\r\nHost: x\r\n\r\n"))
        #expect(try channel.readInbound(as: HTTPRequestPart.self) == nil)
        _ = try? channel.finish()
    }

    @Test func aPipelinedRequestReadBeforeTheStopIsStillAnswered() throws {
        let drain = ShutdownDrain(delay: .seconds(5), logger: Logger(label: "test"))
        let channel = try connection(drain: drain)
        try channel.writeInbound(ByteBuffer(string: "GET /a HTTP/1.1\r\nHost: x\r\n\r\nGET /b HTTP/1.1\r\nHost: x\r\n\r\n"))
        var heads = 0
        while let part = try channel.readInbound(as: HTTPRequestPart.self) { if case .head = part { heads += 1 } }
        #expect(heads == 2)
        drain.begin()
        for _ in 0..<2 {
            try channel.writeOutbound(HTTPResponsePart.head(HTTPResponse(status: .noContent)))
            try channel.writeOutbound(HTTPResponsePart.end(nil))
        }
        // The first answer leaves the connection open for the second, which ends it.
        let answers = try written(channel).lowercased().components(separatedBy: "http/1.1 204").dropFirst()
        #expect(answers.map { $0.contains("connection: close") } == [false, true], "\(answers)")
        _ = try? channel.finish()
    }
}
