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
/// - HTTP/1.0 has no chunked bodies (RFC 9112 §6.1): an answer to it without a `Content-Length`
///   (a parked `status?wait`) goes as HTTP/1.0, its end marked by the connection's close.
/// - `Expect: 100-continue` (RFC 9110 §10.1.1): `100 Continue` goes as soon as the answers to
///   earlier requests have gone, so a client that waits for it (curl does, for a body over 1 KB)
///   sends its body at once instead of after its own timeout. A request whose body is refused
///   whatever it holds (a `Content-Length` over `api.max_request_body_size`, a transfer coding
///   other than chunked) is not told to send it; nor is one after the connection's last answer.
///   A request that waited for `100 Continue` and got its final answer instead may never send
///   its body, so that answer ends the connection (RFC 9110 §10.1.1 asks the server to say so).
/// - From a stop signal on (`ShutdownDrain`), each answer ends its connection and says so: a
///   client reusing a connection would meet the listener's close once the pause ends, with a
///   request sent into it; told `Connection: close`, it opens a new one, which the load balancer
///   sends to another replica.
final class HTTP1ExchangeHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias InboundOut = HTTPServerRequestPart
    typealias OutboundIn = HTTPServerResponsePart
    typealias OutboundOut = HTTPServerResponsePart

    private let maxBodyBytes: Int
    private let drain: ShutdownDrain?
    // Heads read, final answers' heads written and answers ended, counted from one: the answer to
    // request number `closing` is the connection's last (pipelined requests after it are not
    // answered), and the requests in `continuing` wait for their `100 Continue`.
    private var requests = 0
    private var answers = 0
    private var ended = 0
    private var closing: Int?
    private var continuing: [Int] = []
    // Requests that asked for `100 Continue` and will not get it (their body is refused).
    private var withheld: [Int] = []
    // HTTP/1.0 requests whose answers have not started, and whether each asked to keep the
    // connection; and whether the answer being written ends it (its end is the close).
    private var http10: [(request: Int, keepAlive: Bool, head: Bool)] = []
    private var closeAfterEnd = false
    // What follows the connection's last request is dropped.
    private var droppingRest = false

    init(maxBodyBytes: Int, drain: ShutdownDrain? = nil) {
        self.maxBodyBytes = maxBodyBytes
        self.drain = drain
    }

    private var draining: Bool { drain?.isDraining ?? false }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        // Nothing after the connection's last request reaches a route: Hummingbird would not
        // answer it, and a connection left with a request it never answers has no timer (SwiftNIO
        // reads on after an HTTP/1.0 request that says both `keep-alive` and `close`).
        if discarding(unwrapInboundIn(data)) { return }
        guard case .head(var head) = unwrapInboundIn(data) else {
            context.fireChannelRead(data)
            return
        }
        requests += 1
        let http11 = head.version.major > 1 || head.version.minor >= 1
        // HTTP/1.0 has no `100 Continue`.
        if http11, head.headers["expect"].contains(where: { $0.lowercased() == "100-continue" }) {
            if bodyMayBeRead(head) { continuing.append(requests) } else { withheld.append(requests) }
        }
        // `close` wins over `keep-alive` (SwiftNIO reads an HTTP/1.0 request with both as kept;
        // for HTTP/1.1 it reads `close` already).
        let keepAlive =
            head.isKeepAlive && (http11 || !head.headers[canonicalForm: "connection"].contains { $0.lowercased() == "close" })
            && !draining
        if !http11 { http10.append((requests, keepAlive, head.method == .HEAD)) }
        if !keepAlive {
            if closing == nil { closing = requests }
            head.headers.replaceOrAdd(name: "connection", value: "close")
            context.fireChannelRead(wrapInboundOut(.head(head)))
        } else {
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
            // Answered while its client still waits for `100 Continue`, or after it was withheld:
            // none is owed now, and the body may never come, so nothing can follow on this
            // connection.
            var unsent = false
            if continuing.first == answers { continuing.removeFirst(); unsent = true }
            if withheld.first == answers { withheld.removeFirst(); unsent = true }
            // A request read before the stop began and answered after it; not while a pipelined
            // one waits, read already and owed its answer.
            if unsent || (closing == nil && answers == requests && draining) {
                closeAfterEnd = true
                closing = min(closing ?? answers, answers)
            }
            if answers == closing { head.headers.replaceOrAdd(name: "connection", value: "close") }
            if http10.first?.request == answers {
                let request = http10.removeFirst()
                answerHTTP10(&head, keepAlive: request.keepAlive, toHead: request.head)
            }
            // The connection ends with this answer, whoever decided so (`ConnectionGuardHandler`
            // too): no `100 Continue` after it. Read only while one is owed, not on every answer.
            if !continuing.isEmpty, closing.map({ $0 > answers }) ?? true,
                head.headers["connection"].contains(where: { $0.lowercased() == "close" })
            {
                closing = answers
            }
            context.write(wrapOutboundOut(.head(head)), promise: promise)
        case .end:
            ended += 1
            guard closeAfterEnd else {
                context.write(data, promise: promise)
                sendContinueIfDue(context: context)
                return
            }
            // The output only: bytes the client sent that were not read (a body it was not asked
            // for) would turn a full close into a reset, which can destroy this answer before it
            // is read. The connection guard's timers end the rest.
            let written = promise ?? context.eventLoop.makePromise()
            written.futureResult.assumeIsolated().whenComplete { _ in context.close(mode: .output, promise: nil) }
            context.write(data, promise: written)
        default:
            context.write(data, promise: promise)
        }
    }

    /// An answer to an HTTP/1.0 request: `keep-alive` when it asked and may have it; HTTP/1.0,
    /// ended by the close, when the answer's length is not known ahead (not for a HEAD, which
    /// has no body to end).
    private func answerHTTP10(_ head: inout HTTPResponseHead, keepAlive: Bool, toHead: Bool) {
        let closes = head.headers["connection"].contains { $0.lowercased() == "close" }
        if !toHead, head.status.mayHaveResponseBody, !head.headers.contains(name: "content-length") {
            head.version = .http1_0
            head.headers.replaceOrAdd(name: "connection", value: "close")
            closeAfterEnd = true
        } else if keepAlive, !closes {
            head.headers.replaceOrAdd(name: "connection", value: "keep-alive")
        }
    }

    /// Whether a route may read the body at all: not one longer than any route takes, nor one in
    /// a transfer coding `TransferCodingCheck` refuses.
    private func bodyMayBeRead(_ head: HTTPRequestHead) -> Bool {
        // A length past `Int` (the parser takes up to `UInt64`) is over the limit too.
        if let length = head.headers["content-length"].first, Int(length) ?? .max > maxBodyBytes { return false }
        return head.headers["transfer-encoding"].allSatisfy { TransferCodingCheck.unsupported(in: $0) == nil }
    }

    /// Whether `part` comes after the connection's last request (`closing`) and is dropped: a
    /// request's head once that one's was read, and anything once that one's end was.
    private func discarding(_ part: HTTPServerRequestPart) -> Bool {
        guard let closing, requests >= closing else { return false }
        if droppingRest { return true }
        switch part {
        case .head:
            droppingRest = true
            return true
        case .end where requests == closing:
            droppingRest = true
            return false
        default:
            return false
        }
    }

    /// `100 Continue` for the next request that asked, once every earlier answer has gone (sent
    /// between two answers, it would be read as part of the first), unless the connection ends
    /// before that request is answered.
    private func sendContinueIfDue(context: ChannelHandlerContext) {
        guard let waiting = continuing.first, ended == waiting - 1 else { return }
        continuing.removeFirst()
        if let closing, waiting > closing { return }
        context.writeAndFlush(wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: .continue))), promise: nil)
    }
}
