import Foundation
import GatehouseWire
import HTTPTypes
import Logging
import NIOCore
import NIOEmbedded
import NIOHTTP1
import NIOHTTPTypes
import Testing

@testable import GatehouseServer

/// A request the HTTP parser refused is answered in the shape of every other error.
struct UnreadableRequestTests {
    func emptyBadRequest() -> HTTPResponsePart {
        .head(HTTPResponse(status: .badRequest, headerFields: [.connection: "close", .contentLength: "0"]))
    }

    @Test func theParsersEmptyAnswerIsGivenABodyThatSaysWhyAndARequestLine() throws {
        let output = LineOutput.capture()
        let connections = ConnectionGuard(
            limits: RequestLimits(), logger: Logger(label: "test"),
            requestLog: RequestLog(format: .text, level: .info, output: output))
        let channel = EmbeddedChannel(handler: connections.handler())
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 1)).wait()
        channel.pipeline.fireErrorCaught(HTTPParserError.unexpectedContentLength)
        try channel.writeOutbound(emptyBadRequest())
        try channel.writeOutbound(HTTPResponsePart.end(nil))
        guard case .head(let head) = try channel.readOutbound(as: HTTPResponsePart.self),
            case .body(let bytes) = try channel.readOutbound(as: HTTPResponsePart.self),
            case .end = try channel.readOutbound(as: HTTPResponsePart.self)
        else {
            Issue.record("not a head, a body and an end")
            return
        }
        #expect(head.status == .badRequest && head.headerFields[.connection] == "close")
        #expect(
            head.headerFields[.contentType] == "application/json; charset=utf-8" && head.headerFields[.cacheControl] == "no-store"
        )
        #expect(head.headerFields[.contentLength] == String(bytes.readableBytes))
        let body = try JSONDecoder().decode(ErrorBody.self, from: Data(bytes.readableBytesView))
        #expect(body.code == 400 && body.name == "invalid_request")
        #expect(body.message.contains("Content-Length cannot be used"), "\(body.message)")
        // No middleware sees it: its request line comes from here, with the id it is answered with.
        let id = try #require(head.headerFields[RequestCorrelation.header])
        #expect(output.lines.count == 1, "\(output.lines)")
        #expect(output.lines.allSatisfy { $0.contains("route=unreadable status=400") && $0.hasSuffix("request_id=\(id)") })
        _ = try? channel.finish()
    }

    @Test func anyOtherBadRequestIsLeftAsItIs() throws {
        let (_, channel) = try ParkedConnectionsTests.connection()
        // A pipelined request read before the bad one is answered with its own 400 first.
        channel.pipeline.fireErrorCaught(HTTPParserError.invalidHeaderToken)
        let own = ByteBuffer(string: #"{"name":"invalid_request"}"#)
        try channel.writeOutbound(
            HTTPResponsePart.head(HTTPResponse(status: .badRequest, headerFields: [.contentLength: "\(own.readableBytes)"])))
        try channel.writeOutbound(HTTPResponsePart.body(own))
        try channel.writeOutbound(HTTPResponsePart.end(nil))
        guard case .head(let first) = try channel.readOutbound(as: HTTPResponsePart.self),
            case .body(let body) = try channel.readOutbound(as: HTTPResponsePart.self),
            case .end = try channel.readOutbound(as: HTTPResponsePart.self)
        else {
            Issue.record("the pipelined answer was changed")
            return
        }
        #expect(first.headerFields[.contentLength] == "\(own.readableBytes)" && body == own)
        // Then the parser's own answer gets the body; without a parser error, nothing does.
        try channel.writeOutbound(emptyBadRequest())
        guard case .head(let second) = try channel.readOutbound(as: HTTPResponsePart.self) else {
            Issue.record("no head")
            return
        }
        #expect(second.headerFields[.contentType] == "application/json; charset=utf-8")
        _ = try channel.readOutbound(as: HTTPResponsePart.self)
        try channel.writeOutbound(emptyBadRequest())
        guard case .head(let head) = try channel.readOutbound(as: HTTPResponsePart.self) else {
            Issue.record("no head")
            return
        }
        #expect(head.headerFields[.contentLength] == "0" && head.headerFields[.contentType] == nil)
        _ = try? channel.finish()
    }

    @Test func aBodyRefusedAfterItsRequestWasAnsweredGetsNoSecondAnswer() throws {
        let (_, channel) = try ParkedConnectionsTests.connection()
        try channel.writeInbound(
            HTTPRequestPart.head(HTTPRequest(method: .post, scheme: nil, authority: "x", path: "/v1/auth/authorize")))
        _ = try channel.readInbound(as: HTTPRequestPart.self)
        // The bad chunk arrives with the head; the route answers without reading the body.
        channel.pipeline.fireErrorCaught(HTTPParserError.invalidChunkSize)
        try channel.writeOutbound(HTTPResponsePart.head(HTTPResponse(status: .unauthorized, headerFields: [.contentLength: "2"])))
        try channel.writeOutbound(HTTPResponsePart.body(ByteBuffer(string: "{}")))
        try channel.writeOutbound(HTTPResponsePart.end(nil))
        // Hummingbird then meets the error draining the body, and answers it: dropped, and the
        // connection closes.
        try channel.writeOutbound(emptyBadRequest())
        try channel.writeOutbound(HTTPResponsePart.end(nil))
        guard case .head(let head) = try channel.readOutbound(as: HTTPResponsePart.self) else {
            Issue.record("no head")
            return
        }
        // The refusal came before the answer: the answer says the connection ends.
        #expect(head.status == .unauthorized && head.headerFields[.connection] == "close")
        _ = try channel.readOutbound(as: HTTPResponsePart.self)
        _ = try channel.readOutbound(as: HTTPResponsePart.self)
        #expect(try channel.readOutbound(as: HTTPResponsePart.self) == nil)
        #expect(!channel.isActive)
        _ = try? channel.finish()
    }
}
