import Foundation
import GatehouseWire
import HTTPTypes
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

    @Test func theParsersEmptyAnswerIsGivenABodyThatSaysWhy() throws {
        let (_, channel) = try ParkedConnectionsTests.connection()
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
        #expect(head.headerFields[.contentType] == "application/json")
        #expect(head.headerFields[.contentLength] == String(bytes.readableBytes))
        let body = try JSONDecoder().decode(ErrorBody.self, from: Data(bytes.readableBytesView))
        #expect(body.code == 400 && body.name == "invalid_request")
        #expect(body.message.contains("Content-Length cannot be used"), "\(body.message)")
        _ = try? channel.finish()
    }

    @Test func anyOtherBadRequestIsLeftAsItIs() throws {
        let (_, channel) = try ParkedConnectionsTests.connection()
        try channel.writeOutbound(emptyBadRequest())
        guard case .head(let head) = try channel.readOutbound(as: HTTPResponsePart.self) else {
            Issue.record("no head")
            return
        }
        #expect(head.headerFields[.contentLength] == "0" && head.headerFields[.contentType] == nil)
        _ = try? channel.finish()
    }
}
