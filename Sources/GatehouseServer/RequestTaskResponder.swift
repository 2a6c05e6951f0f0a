import Hummingbird

/// Runs each request's middleware and routes in a child task of the connection's task.
///
/// A task keeps the memory of its deepest call for as long as it lives: the Swift runtime reuses
/// a task's stack slabs, it does not free them. The server serves a connection in one task for as
/// long as the connection stays open, so without the hop a keep-alive connection kept the frames
/// of the deepest request it had served (the store, the cipher, the provider client) until it
/// closed: 39.8 KB per idle connection after one `status` each, 18.5 KB with the hop (10,000
/// connections; `docs/performance.md`). A parked long-poll's wait is its answer's body
/// (`JSONResponse.streamed`), written after this child has ended, so it too keeps only the
/// server's frames and the wait's. The hop costs no CPU per request that could be measured (the
/// server's CPU time per hot authorize, `docs/performance.md`).
struct RequestTaskResponder<Inner: HTTPResponder>: HTTPResponder where Inner.Context: Sendable {
    typealias Context = Inner.Context
    let inner: Inner

    func respond(to request: Request, context: Context) async throws -> Response {
        try await withThrowingTaskGroup(of: Response.self) { group in
            group.addTask { try await inner.respond(to: request, context: context) }
            // The group has that one child, so `next()` is its answer or its error.
            return try await group.next()!
        }
    }
}
