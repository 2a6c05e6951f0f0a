import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

@testable import GatehouseServer

/// Every request's routes run in a child task, whose memory is freed when the request ends,
/// not in the connection's task, which keeps it for as long as the connection stays open.
struct RequestTaskResponderTests {
    /// Answers, in `X-Request-Task`, the task the request arrived in; the route answers, in
    /// `X-Route-Task`, the task it ran in.
    struct TaskRecorder<Inner: HTTPResponder>: HTTPResponder {
        typealias Context = Inner.Context
        let inner: Inner

        func respond(to request: Request, context: Context) async throws -> Response {
            var response = try await inner.respond(to: request, context: context)
            response.headers[HTTPField.Name("X-Request-Task")!] = Self.currentTask()
            return response
        }

        static func currentTask() -> String {
            withUnsafeCurrentTask { task in task.map { "\($0.hashValue)" } ?? "none" }
        }
    }

    @Test func everyRequestRunsItsRoutesInAChildTaskAndKeepsTheirAnswerOrError() async throws {
        let router = Router(context: GatehouseRequestContext.self)
        for path in ["status", "authorize"] {
            router.get(RouterPath(path)) { _, _ -> Response in
                Response(
                    status: .ok,
                    headers: [
                        HTTPField.Name("X-Route-Task")!: TaskRecorder<Router<GatehouseRequestContext>.Responder>.currentTask()
                    ])
            }
        }
        router.get("fails") { _, _ -> Response in throw HTTPError(.conflict) }
        let responder = TaskRecorder(inner: RequestTaskResponder(inner: router.buildResponder()))
        try await Application(responder: responder).test(.router) { client in
            for path in ["/status", "/authorize"] {
                let response = try await client.execute(uri: path, method: .get)
                #expect(response.status == .ok)
                let route = try #require(response.headers[HTTPField.Name("X-Route-Task")!])
                let request = try #require(response.headers[HTTPField.Name("X-Request-Task")!])
                #expect(route != request, "\(path)")
            }
            #expect(try await client.execute(uri: "/fails", method: .get).status == .conflict)
        }
    }
}
