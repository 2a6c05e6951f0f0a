import NIOCore
import NIOHTTP1

/// Whether a connection persists after a request (RFC 9112 §9.3), decided from the HTTP/1 head,
/// which still carries its version: HTTP/1.0 without `Connection: keep-alive`, and any request
/// whose `Connection` lists `close` in whatever case, is given exactly `Connection: close`, the
/// one spelling Hummingbird reads to close the connection once it has answered; that answer says
/// `Connection: close` too. Without this, an HTTP/1.0 client's connection stayed open until the
/// idle timeout. It sits between SwiftNIO's HTTP/1 decoder and the HTTP types codec.
final class ConnectionPersistenceHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias InboundOut = HTTPServerRequestPart
    typealias OutboundIn = HTTPServerResponsePart
    typealias OutboundOut = HTTPServerResponsePart

    // Heads read and final answers' heads written, counted from one: the answer to request
    // number `closing` is the connection's last. Pipelined requests after it are not answered.
    private var requests = 0
    private var answers = 0
    private var closing: Int?

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard case .head(var head) = unwrapInboundIn(data) else {
            context.fireChannelRead(data)
            return
        }
        requests += 1
        guard !head.isKeepAlive else {
            context.fireChannelRead(data)
            return
        }
        if closing == nil { closing = requests }
        head.headers.replaceOrAdd(name: "connection", value: "close")
        context.fireChannelRead(wrapInboundOut(.head(head)))
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        // An informational head (`100 Continue`) is not the request's answer; as SwiftNIO's
        // encoder has it, `101` is.
        guard case .head(var head) = unwrapOutboundIn(data), !(100..<200).contains(head.status.code) || head.status.code == 101
        else {
            context.write(data, promise: promise)
            return
        }
        answers += 1
        guard answers == closing else {
            context.write(data, promise: promise)
            return
        }
        head.headers.replaceOrAdd(name: "connection", value: "close")
        context.write(wrapOutboundOut(.head(head)), promise: promise)
    }
}
