import Foundation
import GatehouseCore
import GatehouseWire
import HTTPTypes
import NIOCore
import NIOHTTP1
import NIOHTTPTypes

/// Per connection: refuses past the connection cap, and closes a connection that is too slow
/// to send its request head or body, too slow to read its response, or idle too long between
/// requests. A request being handled (a parked `status?wait` included) has no timer: its route
/// bounds it. Added after the HTTP types codec, it puts `HTTP1ExchangeHandler` before
/// the codec, behind SwiftNIO's request decoder (the e2e suite's HTTP/1.0 test fails should
/// Hummingbird's pipeline lose that shape).
final class ConnectionGuardHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    private let owner: ConnectionGuard
    private var counted = false
    private var refused = false
    // Heads read and responses whose end was written: while a request is answered, no timer runs (a parked
    // long-poll is bounded by its route). Counting from the head, not the end, keeps an early
    // answer (a 401 before the body arrives) from leaving the connection without a timer.
    private var requests = 0
    private var responses = 0
    private var readingBody = false
    private var writing = false
    // The limit that applies now (nil: none), and the one timer that enforces it. Moving the
    // limit on, as every request does several times, only writes `deadline`; the timer is
    // rescheduled when it fires early, or when a nearer limit comes.
    private var deadline: NIODeadline?
    private var timer: Scheduled<Void>?
    private var timerFiresAt: NIODeadline = .distantFuture
    // What the HTTP parser refused, and whether in a request's body: Hummingbird answers it with
    // an empty 400, which is given a body saying why (`UnreadableRequest`), or dropped when the
    // request whose body it was had its answer already: a second answer would be read as the
    // next request's.
    private var unreadable: (error: HTTPParserError, inBody: Bool, at: NIODeadline)?
    private var dropping = false
    // The body of the request being answered did not come within the read timeout: its route
    // was told (`RequestBodyTimeout`), and the connection ends with its answer.
    private var bodyLate = false

    init(guard owner: ConnectionGuard) {
        self.owner = owner
    }

    func handlerAdded(context: ChannelHandlerContext) {
        // The channel keeps its receive buffer between reads: NIO's first guess, 2 KB, held by
        // every open connection. A request head is a few hundred bytes; a larger request grows
        // the buffer for the reads that need it.
        try? context.channel.syncOptions?.setOption(
            ChannelOptions.recvAllocator, value: AdaptiveRecvByteBufferAllocator(minimum: 64, initial: 512, maximum: 65536))
        // What a request asks of its connection (whether it persists, `100 Continue`) depends
        // on its HTTP version, which the HTTP types codec before this handler drops: the handler
        // that answers it goes before the codec.
        let pipeline = context.pipeline.syncOperations
        if let decoder = try? pipeline.handler(type: ByteToMessageHandler<HTTPRequestDecoder>.self) {
            try? pipeline.addHandler(
                HTTP1ExchangeHandler(maxBodyBytes: owner.limits.maxBodyBytes, drain: owner.drain), position: .after(decoder))
        }
        if context.channel.isActive { opened(context: context) }
    }

    func channelActive(context: ChannelHandlerContext) {
        opened(context: context)
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        closed(context: context)
        context.fireChannelInactive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        closed(context: context)
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        // The server allows half-closed connections, so a client that closes is first heard as
        // its input closing, and the connection stays open until its answer is written: a
        // parked wait answers now instead of at the end of its time.
        if let event = event as? ChannelEvent, event == .inputClosed {
            owner.parked.inputClosed(context.channel)
        }
        context.fireUserInboundEventTriggered(event)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if let error = error as? HTTPParserError { unreadable = (error, readingBody, .now()) }
        context.fireErrorCaught(error)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        // A refused connection is closing, and so is one whose body came too late: nothing it
        // sends reaches a route.
        guard !refused, !bodyLate else { return }
        switch unwrapInboundIn(data) {
        case .head:
            requests += 1
            readingBody = true
            rearm(context: context)
        case .body:
            // The body's deadline runs from its head: a trickle of chunks does not extend it.
            break
        case .end:
            readingBody = false
            rearm(context: context)
        }
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let part = unwrapOutboundIn(data)
        if unreadable != nil || dropping, answerUnreadable(part, context: context, promise: promise) { return }
        switch part {
        case .head(var head):
            // The write timer starts with the body, not the head: a parked long-poll writes its
            // head at once and its body when the wait ends, and the wait must not be cut.
            guard endsConnection else {
                context.write(data, promise: promise)
                return
            }
            head.headerFields[.connection] = "close"
            context.write(wrapOutboundOut(.head(head)), promise: promise)
        case .body:
            startWriting(context: context)
            context.write(data, promise: promise)
        case .end:
            // Counted as it is written (the write timer runs until it has gone): a parser error
            // met later in this request's body finds it answered.
            responses += 1
            startWriting(context: context)
            let written = promise ?? context.eventLoop.makePromise()
            written.futureResult.assumeIsolated().whenSuccess { [self] in
                writing = false
                if bodyLate {
                    context.close(promise: nil)
                } else {
                    rearm(context: context)
                }
            }
            context.write(data, promise: written)
        }
    }

    /// Hummingbird's own answer to what the parser refused (400, empty, closing; a pipelined
    /// request read before the bad one may still be answered with a 400 of its own): given a
    /// body, or dropped with what follows up to its end, and the connection closed, when the
    /// request whose body was refused has its answer already. Returns whether it took `part`.
    private func answerUnreadable(
        _ part: HTTPResponsePart, context: ChannelHandlerContext, promise: EventLoopPromise<Void>?
    ) -> Bool {
        if dropping {
            promise?.succeed(())
            if case .end = part {
                dropping = false
                context.close(promise: nil)
            }
            return true
        }
        guard let (error, inBody, refused) = unreadable, case .head(let head) = part, head.status == .badRequest,
            head.headerFields[.contentLength] == "0", head.headerFields[.connection] == "close"
        else { return false }
        unreadable = nil
        if inBody, responses == requests {
            dropping = true
            promise?.succeed(())
            return true
        }
        var (answer, body) = UnreadableRequest.answer(to: error, head: head)
        // A request refused in its head reached no middleware: its line and count are written
        // here. One refused in its body went through `RequestObserverMiddleware`, which wrote them.
        if !inBody {
            answer.headerFields[RequestCorrelation.header] = owner.recordUnreadable(
                status: Int(head.status.code), since: refused)
        }
        context.write(wrapOutboundOut(.head(answer)), promise: nil)
        startWriting(context: context)
        context.write(wrapOutboundOut(.body(body)), promise: promise)
        return true
    }

    /// Whether the answer about to be written, to the last request read, is the connection's
    /// last: that request's body was refused by the parser or came too late. (An earlier
    /// request's answer is not: the refusal gets an answer of its own after it.)
    private var endsConnection: Bool {
        responses + 1 == requests && (bodyLate || unreadable?.inBody == true)
    }

    /// The body of the request being answered did not come within the read timeout: the route
    /// reading it is told (`RequestBodyTimeout`, answered 408), and the connection closes once
    /// that answer is written, or at the write timeout if none is.
    private func bodyIsLate(context: ChannelHandlerContext) {
        bodyLate = true
        readingBody = false
        context.fireErrorCaught(RequestBodyTimeout(limit: owner.limits.readTimeout))
        arm(context: context, after: owner.limits.writeTimeout)
    }

    private func startWriting(context: ChannelHandlerContext) {
        guard !writing else { return }
        writing = true
        rearm(context: context)
    }

    /// The one timer that applies now: the body being read must arrive within the read
    /// timeout (counted from when its request's turn came), a response being written must go
    /// within the write timeout, a request being handled has none, and a connection with nothing
    /// outstanding may idle for the idle timeout.
    private func rearm(context: ChannelHandlerContext) {
        // A pipelined request's body is due when its turn comes: while an earlier answer is still
        // going (a parked wait, say), its clock does not run, and cannot cut that answer off.
        if readingBody, requests <= responses + 1 {
            arm(context: context, after: owner.limits.readTimeout)
        } else if writing {
            arm(context: context, after: owner.limits.writeTimeout)
        } else if requests > responses {
            disarm()
        } else {
            arm(context: context, after: owner.limits.idleTimeout)
        }
    }

    private func opened(context: ChannelHandlerContext) {
        guard !counted else { return }
        counted = true
        let count = owner.open.wrappingAdd(1, ordering: .relaxed).newValue
        guard count <= owner.maxConnections else {
            refused = true
            refuse(context: context)
            return
        }
        arm(context: context, after: owner.limits.readTimeout)
    }

    private func closed(context: ChannelHandlerContext) {
        owner.parked.closed(context.channel)
        disarm()
        timer?.cancel()
        timer = nil
        if counted {
            counted = false
            owner.open.wrappingSubtract(1, ordering: .relaxed)
        }
    }

    /// A short, complete 503 and a close: the client learns why at once instead of waiting.
    private func refuse(context: ChannelHandlerContext) {
        owner.recordRefusedOverCap()
        let busy = GatehouseError(
            .serverBusy, "Gatehouse has too many open connections (api.max_connections); retry shortly")
        var (head, body) = HTTPErrorMapping.written(busy, head: HTTPResponse(status: busy.status))
        head.headerFields[.connection] = "close"
        head.headerFields[.retryAfter] = "1"
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        context.write(wrapOutboundOut(.body(body)), promise: nil)
        context.writeAndFlush(wrapOutboundOut(.end(nil))).assumeIsolated().whenComplete { _ in
            context.close(promise: nil)
        }
    }

    private func arm(context: ChannelHandlerContext, after delay: Duration) {
        let due = NIODeadline.now() + TimeAmount(delay)
        deadline = due
        if timer == nil || timerFiresAt > due { schedule(context: context, at: due) }
    }

    private func schedule(context: ChannelHandlerContext, at due: NIODeadline) {
        timer?.cancel()
        timerFiresAt = due
        timer = context.eventLoop.assumeIsolated().scheduleTask(deadline: due) { [self] in
            timer = nil
            guard let deadline else { return }
            if deadline <= .now() {
                // A body still coming for the request being answered: its route answers 408.
                if readingBody, responses + 1 == requests, !bodyLate {
                    bodyIsLate(context: context)
                } else {
                    context.close(promise: nil)
                }
            } else {
                schedule(context: context, at: deadline)
            }
        }
    }

    /// No limit now; a timer still scheduled finds none when it fires.
    private func disarm() {
        deadline = nil
    }
}
