import Foundation
import GatehouseTestSupport
import HTTPTypes
import Logging
import NIOCore
import NIOEmbedded
import NIOHTTP1
import NIOHTTPTypes
import NIOHTTPTypesHTTP1
import Testing

@testable import GatehouseServer

/// When a connection ends after a request, and what a request in an unsupported transfer coding
/// is told.
struct HTTP1ExchangeTests {
    /// The closes asked of the channel, in order (an embedded channel cannot close one side).
    final class CloseRecorder: ChannelOutboundHandler {
        typealias OutboundIn = Any
        var modes: [CloseMode] = []

        func close(context: ChannelHandlerContext, mode: CloseMode, promise: EventLoopPromise<Void>?) {
            modes.append(mode)
            context.close(mode: mode, promise: promise)
        }
    }

    /// The server's pipeline as Hummingbird builds it, the connection guard included (it puts the
    /// exchange handler before the HTTP types codec); `closes` records what it closes, and `drain`
    /// is the stop's pause.
    func connection(closes: CloseRecorder = CloseRecorder(), drain: ShutdownDrain? = nil) throws -> EmbeddedChannel {
        let channel = EmbeddedChannel(handler: closes)
        let pipeline = channel.pipeline.syncOperations
        try pipeline.configureHTTPServerPipeline(withPipeliningAssistance: false, withErrorHandling: false)
        try pipeline.addHandler(HTTP1ToHTTPServerCodec(secure: false))
        try pipeline.addHandler(ConnectionGuard(limits: RequestLimits(), logger: Logger(label: "test"), drain: drain).handler())
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 1)).wait()
        return channel
    }

    /// Sends `request`, answers each head read with an empty 204, and returns the `Connection`
    /// header each head reached the server with and the answers as written.
    func exchange(_ request: String) throws -> (seen: [String?], written: String) {
        let channel = try connection()
        try channel.writeInbound(ByteBuffer(string: request))
        var seen: [String?] = []
        while let part = try channel.readInbound(as: HTTPRequestPart.self) {
            guard case .head(let head) = part else { continue }
            seen.append(head.headerFields[.connection])
            try channel.writeOutbound(HTTPResponsePart.head(HTTPResponse(status: .noContent)))
            try channel.writeOutbound(HTTPResponsePart.end(nil))
        }
        var written = ""
        while let bytes = try channel.readOutbound(as: ByteBuffer.self) { written += String(buffer: bytes) }
        _ = try? channel.finish()
        return (seen, written.lowercased())
    }

    @Test func anHTTP10RequestWithoutKeepAliveReachesHummingbirdAsCloseAndItsAnswerSaysSo() throws {
        let (seen, written) = try exchange("GET /v1/health HTTP/1.0\r\n\r\n")
        // Hummingbird closes the connection after answering a request that says exactly this.
        #expect(seen == ["close"])
        #expect(written.hasPrefix("http/1.1 204") && written.contains("connection: close\r\n"), "\(written)")
    }

    @Test func anHTTP10RequestWithKeepAliveAndAnHTTP11OneKeepTheirs() throws {
        let (seen, written) = try exchange(
            "GET /a HTTP/1.0\r\nConnection: keep-alive\r\n\r\nGET /b HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(seen == ["keep-alive", nil])
        // The HTTP/1.0 client is told its connection stays; the HTTP/1.1 one needs no word.
        let answers = written.components(separatedBy: "http/1.1 204").dropFirst()
        #expect(answers.map { $0.contains("connection: keep-alive") } == [true, false], "\(written)")
        #expect(!written.contains("connection: close"), "\(written)")
    }

    @Test func closeInAnyCaseOrListIsTheOneSpellingHummingbirdReads() throws {
        let (seen, written) = try exchange("GET /a HTTP/1.1\r\nHost: x\r\nConnection: TE, Close\r\n\r\n")
        #expect(seen == ["close"])
        #expect(written.contains("connection: close\r\n"), "\(written)")
    }

    // (Nothing is read after a closing request: SwiftNIO's decoder refuses it, and Hummingbird
    // stops reading once it has answered; the e2e suite sends one.)
    @Test func onlyTheAnswerToTheClosingRequestSaysClose() throws {
        let (seen, written) = try exchange("GET /a HTTP/1.1\r\nHost: x\r\n\r\nGET /b HTTP/1.0\r\n\r\n")
        #expect(seen == [nil, "close"])
        let answers = written.components(separatedBy: "http/1.1 204").dropFirst()
        #expect(answers.map { $0.contains("connection: close") } == [false, true], "\(written)")
    }

    @Test func anInformationalHeadIsNotTheAnswer() throws {
        let channel = try connection()
        try channel.writeInbound(ByteBuffer(string: "POST /a HTTP/1.0\r\nContent-Length: 0\r\n\r\n"))
        _ = try channel.readInbound(as: HTTPRequestPart.self)
        try channel.writeOutbound(HTTPResponsePart.head(HTTPResponse(status: .continue)))
        try channel.writeOutbound(HTTPResponsePart.head(HTTPResponse(status: .noContent)))
        try channel.writeOutbound(HTTPResponsePart.end(nil))
        var written = ""
        while let bytes = try channel.readOutbound(as: ByteBuffer.self) { written += String(buffer: bytes) }
        let heads = written.lowercased().components(separatedBy: "\r\n\r\n")
        #expect(heads[0].hasPrefix("http/1.1 100") && !heads[0].contains("connection"), "\(written)")
        #expect(heads[1].hasPrefix("http/1.1 204") && heads[1].contains("connection: close"), "\(written)")
        _ = try? channel.finish()
    }

    @Test func aRequestThatExpectsContinueIsToldToSendItsBody() throws {
        let channel = try connection()
        try channel.writeInbound(
            ByteBuffer(string: "POST /a HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\n"))
        #expect(try channel.readOutbound(as: ByteBuffer.self).map { String(buffer: $0) } == "HTTP/1.1 100 Continue\r\n\r\n")
        _ = try? channel.finish()
    }

    @Test func continueWaitsForTheAnswersBeforeItAndHTTP10GetsNone() throws {
        let channel = try connection()
        try channel.writeInbound(
            ByteBuffer(
                string: "GET /a HTTP/1.1\r\nHost: x\r\n\r\nPOST /b HTTP/1.1\r\nHost: x\r\nExpect: 100-Continue\r\n"
                    + "Content-Length: 2\r\n\r\n{}POST /c HTTP/1.0\r\nExpect: 100-continue\r\nContent-Length: 0\r\n\r\n"))
        #expect(try channel.readOutbound(as: ByteBuffer.self) == nil, "nothing before the first answer")
        var written = ""
        for _ in 0..<3 {
            try channel.writeOutbound(HTTPResponsePart.head(HTTPResponse(status: .noContent)))
            try channel.writeOutbound(HTTPResponsePart.end(nil))
        }
        while let bytes = try channel.readOutbound(as: ByteBuffer.self) { written += String(buffer: bytes) }
        let statuses = written.components(separatedBy: "\r\n").filter { $0.hasPrefix("HTTP/1.1") }
        #expect(
            statuses == [
                "HTTP/1.1 204 No Content", "HTTP/1.1 100 Continue", "HTTP/1.1 204 No Content", "HTTP/1.1 204 No Content",
            ])
        _ = try? channel.finish()
    }

    /// The bytes written so far, as text.
    func written(_ channel: EmbeddedChannel) throws -> String {
        var written = ""
        while let bytes = try channel.readOutbound(as: ByteBuffer.self) { written += String(buffer: bytes) }
        return written
    }

    @Test(arguments: [
        "Content-Length: 70000", "Transfer-Encoding: gzip, chunked",
    ])
    func aBodyRefusedWhateverItHoldsIsNotAskedForAndItsAnswerEndsTheConnection(framing: String) throws {
        let closes = CloseRecorder()
        let channel = try connection(closes: closes)
        try channel.writeInbound(ByteBuffer(string: "POST /a HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\n\(framing)\r\n\r\n"))
        #expect(try written(channel) == "")
        // Its client may never send the body it was not asked for: nothing can follow the refusal.
        try channel.writeOutbound(HTTPResponsePart.head(HTTPResponse(status: .contentTooLarge)))
        try channel.writeOutbound(HTTPResponsePart.end(nil))
        let answer = try written(channel).lowercased()
        #expect(answer.hasPrefix("http/1.1 413") && answer.contains("connection: close"), "\(answer)")
        // Its output only: a body the client sends anyway is read, not met with a reset.
        #expect(closes.modes == [.output])
        _ = try? channel.finish()
    }

    @Test func anHTTP10RequestThatSaysKeepAliveAndCloseIsClosed() throws {
        // SwiftNIO reads on after it: the request pipelined behind it reaches no route.
        let (seen, written) = try exchange(
            "GET /a HTTP/1.0\r\nConnection: keep-alive, close\r\n\r\nGET /b HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(seen == ["close"])
        #expect(written.contains("connection: close\r\n") && !written.contains("keep-alive"), "\(written)")
    }

    @Test func eachRequestThatAsksGetsItsContinueButNoneAfterTheLastAnswer() throws {
        let channel = try connection()
        let asking = "POST /b HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\n{}"
        try channel.writeInbound(ByteBuffer(string: "GET /a HTTP/1.1\r\nHost: x\r\n\r\n" + asking + asking))
        try channel.writeOutbound(HTTPResponsePart.head(HTTPResponse(status: .noContent)))
        try channel.writeOutbound(HTTPResponsePart.end(nil))
        try channel.writeOutbound(HTTPResponsePart.head(HTTPResponse(status: .noContent)))
        try channel.writeOutbound(HTTPResponsePart.end(nil))
        let statuses = try written(channel).components(separatedBy: "\r\n").filter { $0.hasPrefix("HTTP/1.1") }
        #expect(
            statuses == ["HTTP/1.1 204 No Content", "HTTP/1.1 100 Continue", "HTTP/1.1 204 No Content", "HTTP/1.1 100 Continue"])
        // The third's answer ends the connection (the connection guard said so): the fourth,
        // pipelined behind it, is not told to send its body.
        try channel.writeInbound(ByteBuffer(string: asking))
        try channel.writeOutbound(
            HTTPResponsePart.head(HTTPResponse(status: .requestTimeout, headerFields: [.connection: "close"])))
        try channel.writeOutbound(HTTPResponsePart.end(nil))
        #expect(!(try written(channel)).contains("100 Continue"))
        _ = try? channel.finish()
    }

    @Test func anHTTP10AnswerOfUnknownLengthIsEndedByTheClose() throws {
        let closes = CloseRecorder()
        let channel = try connection(closes: closes)
        try channel.writeInbound(ByteBuffer(string: "GET /a HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"))
        try channel.writeOutbound(HTTPResponsePart.head(HTTPResponse(status: .ok)))
        try channel.writeOutbound(HTTPResponsePart.body(ByteBuffer(string: "{}")))
        try channel.writeOutbound(HTTPResponsePart.end(nil))
        let answer = try written(channel).lowercased()
        #expect(answer.hasPrefix("http/1.0 200") && answer.contains("connection: close"), "\(answer)")
        #expect(!answer.contains("transfer-encoding") && answer.hasSuffix("\r\n\r\n{}"), "\(answer)")
        #expect(closes.modes == [.output])
        _ = try? channel.finish()
    }

    @Test func anHTTP10AnswerToHEADKeepsTheConnection() throws {
        let closes = CloseRecorder()
        let channel = try connection(closes: closes)
        try channel.writeInbound(ByteBuffer(string: "HEAD /a HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"))
        try channel.writeOutbound(HTTPResponsePart.head(HTTPResponse(status: .ok)))
        try channel.writeOutbound(HTTPResponsePart.end(nil))
        let answer = try written(channel).lowercased()
        #expect(answer.hasPrefix("http/1.1 200") && answer.contains("connection: keep-alive"), "\(answer)")
        #expect(closes.modes.isEmpty)
        _ = try? channel.finish()
    }

    @Test(arguments: ["gzip, chunked", "Identity,chunked"])
    func aBodyInAnotherTransferCodingIs501(codings: String) async throws {
        try await APIHarness.run { api in
            let response = try await api.client.execute(
                uri: "/v1/auth/authorize", method: .post,
                headers: [.authorization: api.key, .contentType: "application/json", .transferEncoding: codings],
                body: ByteBuffer(string: "{}"))
            #expect(response.status == .notImplemented)
            let body = try api.object(response)
            #expect(body["name"] as? String == "not_implemented" && body["code"] as? Int == 501)
            let coding = codings.split(separator: ",")[0]
            #expect(
                body["message"] as? String
                    == "the body's Transfer-Encoding '\(coding)' is not supported; send it plain or chunked")
        }
    }

    @Test func chunkedAloneIsRead() throws {
        #expect(TransferCodingCheck.unsupported(in: "chunked") == nil)
        #expect(TransferCodingCheck.unsupported(in: "Chunked, chunked") == nil)
        #expect(TransferCodingCheck.unsupported(in: "chunked, br") == "br")
    }
}
