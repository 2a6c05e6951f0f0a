import NIOCore
import NIOHTTP1

/// What an HTTP/1 request asks of its connection, read from its head while it still carries its
/// version (the HTTP types codec after this handler drops it). It sits between SwiftNIO's HTTP/1
/// decoder and that codec.
///
/// - Whether the connection persists (RFC 9112 §9.3): HTTP/1.0 without `Connection: keep-alive`,
///   and any request whose `Connection` lists `close` in whatever case, is given exactly
///   `Connection: close`, the one spelling Hummingbird reads to close the connection once it has
///   answered; that answer says `Connection: close` too. (An HTTP/1.0 client's connection used to
///   stay open until the idle timeout.) An HTTP/1.0 request that asks to keep the connection is
///   answered with `Connection: keep-alive`, without which an HTTP/1.0 client closes it.
/// - `Expect: 100-continue` (RFC 9110 §10.1.1): `100 Continue` goes as soon as the answers to
///   earlier requests on the connection have gone, so a client that waits for it (curl does, for
///   a body over 1 KB) sends its body at once instead of after its own timeout, and a client that
///   sends nothing until told is not left waiting.
final class HTTP1ExchangeHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias InboundOut = HTTPServerRequestPart
    typealias OutboundIn = HTTPServerResponsePart
    typealias OutboundOut = HTTPServerResponsePart

    // Heads read, final answers' heads written and answers ended, counted from one: the answer to
    // request number `closing` is the connection's last, and request number `continuing` waits
    // for its `100 Continue`. Pipelined requests after a closing one are not answered.
    private var requests = 0
    private var answers = 0
    private var ended = 0
    private var closing: Int?
    private var continuing: Int?
    // HTTP/1.0 requests that asked to keep the connection, whose answers have not started.
    private var keptOpen: [Int] = []

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard case .head(var head) = unwrapInboundIn(data) else {
            context.fireChannelRead(data)
            return
        }
        requests += 1
        let expectsContinue = head.headers["expect"].contains { $0.lowercased() == "100-continue" }
        // HTTP/1.0 has no `100 Continue` (RFC 9110 §10.1.1).
        if expectsContinue, head.version.major > 1 || head.version.minor >= 1 {
            continuing = requests
        }
        if !head.isKeepAlive {
            if closing == nil { closing = requests }
            head.headers.replaceOrAdd(name: "connection", value: "close")
            context.fireChannelRead(wrapInboundOut(.head(head)))
        } else {
            if head.version == .http1_0 { keptOpen.append(requests) }
            context.fireChannelRead(data)
        }
        sendContinueIfDue(context: context)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        switch unwrapOutboundIn(data) {
        // An informational head (`100 Continue`) is not the request's answer; as SwiftNIO's
        // encoder has it, `101` is.
        case .head(var head) where !(100..<200).contains(head.status.code) || head.status.code == 101:
            answers += 1
            // Answered without its body: no `100 Continue` is owed.
            if continuing == answers { continuing = nil }
            if answers == closing {
                head.headers.replaceOrAdd(name: "connection", value: "close")
            } else if keptOpen.first == answers {
                keptOpen.removeFirst()
                // Unless a later layer closes it after this answer (then it says so).
                if !head.headers["connection"].contains(where: { $0.lowercased() == "close" }) {
                    head.headers.replaceOrAdd(name: "connection", value: "keep-alive")
                }
            } else {
                context.write(data, promise: promise)
                return
            }
            context.write(wrapOutboundOut(.head(head)), promise: promise)
        case .end:
            ended += 1
            context.write(data, promise: promise)
            sendContinueIfDue(context: context)
        default:
            context.write(data, promise: promise)
        }
    }

    /// `100 Continue` for the request that asked, once every earlier answer has gone: sent
    /// between two answers, it would be read as part of the first.
    private func sendContinueIfDue(context: ChannelHandlerContext) {
        guard let waiting = continuing, ended == waiting - 1 else { return }
        continuing = nil
        context.writeAndFlush(wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: .continue))), promise: nil)
    }
}
