import GatehouseCore
import GatehouseWire
import Logging

/// A parked `status?wait`, run as its answer's body (`JSONResponse.streamed`): the head is
/// written when the wait is admitted, the body when the flow completes or the wait runs out.
///
/// The head's 200 is sent before the wait, so a read that fails after it cannot become an
/// error status: the answer is then the status read again, or failing that the one read
/// before the wait. The client polls again and meets the error there.
struct LongPoll: Sendable {
    /// The flow's status: now (`nil`), or once it completes or the wait runs out.
    let status: @Sendable (_ wait: Duration?) async throws -> AuthorizationResponse
    let wait: Duration
    /// The status read before the wait.
    let before: AuthorizationResponse
    /// Whether the request's API key still exists (it may be revoked while the wait is parked).
    let keyStillValid: @Sendable () async -> Bool
    /// The wait's place against its key's cap, given back when the answer is ready.
    let slot: ParkingSlot
    /// The wait's watch on its client's connection (`ParkedConnections`), ended with it.
    let watch: ParkingSlot
    /// The request's id and logger: the body is written after the request's middleware has
    /// returned, out of the scope that gave every log line the id.
    let requestID: String?
    let logger: Logger

    func answer() async -> AuthorizationResponse {
        defer {
            watch.release()
            slot.release()
        }
        do {
            // Shutting down ends it: `BuiltApplication.runService` ends every parked wait at once.
            let answer = try await status(wait)
            // The head's 200 went before the key was revoked: no token for it now. The status
            // before the wait is the answer, as if the wait had run out; the client's next
            // request meets the 401.
            if answer.context?.token != nil, await !keyStillValid() {
                await RequestCorrelation.$id.withValue(requestID) {
                    logger.notice("the API key of a parked wait was revoked while it waited: answered without the token")
                }
                return before
            }
            return answer
        } catch {
            // Under the request's id again for what follows. The wait itself runs without it:
            // a task-local scope held across the wait costs every parked request two more
            // frames (1.5 KB, measured), for the rare line the broker logs while it waits.
            return await RequestCorrelation.$id.withValue(requestID) {
                if !(error is CancellationError) {
                    // What ErrorMiddleware would have logged, had the error still been able to
                    // become the answer.
                    let reason = (error as? GatehouseError)?.message ?? String(reflecting: type(of: error))
                    logger.error("status read after a parked wait failed", metadata: ["error": "\(reason)"])
                }
                return (try? await status(nil)) ?? before
            }
        }
    }
}
