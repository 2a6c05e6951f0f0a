import Foundation
import Gatehouse
import Hummingbird
import HummingbirdTesting
import NIOCore
import Synchronization

/// A live in-process HTTP server whose answers a test scripts, recording every request.
final class ScriptedServer: Sendable {
    struct Recorded: Sendable {
        let method: String
        let uri: String
        let authorization: String?
        let body: String
    }

    struct Answer: Sendable {
        var status: HTTPResponse.Status = .ok
        var body: String
        var headers: HTTPFields = [:]
        /// The head goes at once, the body this much later (a server that stalls mid-answer).
        var bodyAfter: Duration?
        /// Held for the request's `wait` seconds first, as a long-poll that sees no change is.
        var heldForWait = false
        /// Nothing at all, not even the head, for this long (a server that took the request and
        /// stalls).
        var headAfter: Duration?
    }

    private let state = Mutex<(recorded: [Recorded], answers: [String: [Answer]])>(([], [:]))

    var recorded: [Recorded] { state.withLock { $0.recorded } }

    /// Queues answers for a path; the last one repeats.
    func script(_ path: String, _ answers: Answer...) {
        state.withLock { $0.answers[path] = answers }
    }

    func run(_ body: @escaping @Sendable (GatehouseClient) async throws -> Void) async throws {
        try await serve { base in
            try await body(
                GatehouseClient(
                    apiKey: "arc_test", baseURL: base,
                    configuration: .init(
                        timeout: .seconds(10), maxRetries: 2, initialBackoff: .milliseconds(10), maxBackoff: .milliseconds(50)),
                    environment: [:]))
        }
    }

    /// Serves the script; `body` gets the server's base URL.
    func serve(_ body: @escaping @Sendable (_ baseURL: String) async throws -> Void) async throws {
        let router = Router()
        router.on("**", method: .get) { request, context in try await self.answer(request, context) }
        router.on("**", method: .post) { request, context in try await self.answer(request, context) }
        router.on("**", method: .delete) { request, context in try await self.answer(request, context) }
        let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)))
        try await app.test(.live) { client in
            try await body("http://127.0.0.1:\(try require_port(client.port))/")
        }
    }

    private func answer(_ request: Request, _ context: BasicRequestContext) async throws -> Response {
        var request = request
        let body = try await request.collectBody(upTo: 1 << 20)
        let path = request.uri.path
        let answer: Answer = state.withLock { state in
            state.recorded.append(
                Recorded(
                    method: request.method.rawValue, uri: request.uri.string, authorization: request.headers[.authorization],
                    body: String(buffer: body)))
            guard var queue = state.answers[path], !queue.isEmpty else {
                return Answer(status: .notFound, body: #"{"name":"not_found","message":"no script"}"#)
            }
            let next = queue.count > 1 ? queue.removeFirst() : queue[0]
            state.answers[path] = queue
            return next
        }
        if answer.heldForWait, let wait = request.uri.queryParameters.get("wait", as: Int.self) {
            try await Task.sleep(for: .seconds(wait))
        }
        if let stall = answer.headAfter { try await Task.sleep(for: stall) }
        var headers = answer.headers
        headers[.contentType] = "application/json"
        guard let delay = answer.bodyAfter else {
            return Response(status: answer.status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: answer.body)))
        }
        return Response(
            status: answer.status, headers: headers,
            body: ResponseBody { writer in
                try await Task.sleep(for: delay)
                try await writer.write(ByteBuffer(string: answer.body))
                try await writer.finish(nil)
            })
    }
}

func require_port(_ port: Int?) throws -> Int {
    guard let port else { throw URLError(.badURL) }
    return port
}
