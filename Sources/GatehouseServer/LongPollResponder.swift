import Hummingbird

/// Runs the middleware and routes of a request that may park (`status?wait`) in a child task.
///
/// A task keeps the memory of its deepest call for as long as it lives: the Swift runtime
/// reuses a task's stack slabs, it does not free them. A parked long-poll's task lives for up
/// to a minute, so its answer is a streamed body (`JSONResponse.streamed`) that waits after
/// the middleware and route frames have returned; running those frames in a child task, which
/// frees its slabs when it ends, leaves the parked request with only the server's frames.
/// `docs/performance.md` has the measure: 10,000 parked waits.
struct LongPollResponder<Inner: HTTPResponder>: HTTPResponder where Inner.Context: Sendable {
    typealias Context = Inner.Context
    let inner: Inner
    let mayPark: @Sendable (Request) -> Bool

    func respond(to request: Request, context: Context) async throws -> Response {
        guard mayPark(request) else { return try await inner.respond(to: request, context: context) }
        return try await withThrowingTaskGroup(of: Response.self) { group in
            group.addTask { try await inner.respond(to: request, context: context) }
            // The group has that one child, so `next()` is its answer or its error.
            return try await group.next()!
        }
    }
}
