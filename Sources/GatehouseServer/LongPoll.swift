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
    /// Whether the request's API key still exists (it may be revoked while the wait is parked);
    /// throws when that cannot be told (the store does not answer).
    let keyStillValid: @Sendable () async throws -> Bool
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
        return await withTokenOnlyIfTheKeyStands(await read())
    }

    private func read() async -> AuthorizationResponse {
        do {
            // Shutting down ends it: `BuiltApplication.runService` ends every parked wait at once.
            return try await status(wait)
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

    /// The head's 200 went before the wait, perhaps before the request's key was revoked: an
    /// answer with a token goes only to a key that still stands. Otherwise the status before the
    /// wait is the answer, as if the wait had run out, and the client's next request meets the
    /// 401 (or the store's 503, when the key could not be checked).
    private func withTokenOnlyIfTheKeyStands(_ answer: AuthorizationResponse) async -> AuthorizationResponse {
        guard answer.context?.token != nil else { return answer }
        do {
            if try await keyStillValid() { return answer }
            RequestCorrelation.$id.withValue(requestID) {
                logger.notice("the API key of a parked wait was revoked while it waited: answered without the token")
            }
        } catch {
            RequestCorrelation.$id.withValue(requestID) {
                logger.warning(
                    "a parked wait's API key could not be checked: answered without the token",
                    metadata: ["error": "\((error as? GatehouseError)?.message ?? String(reflecting: type(of: error)))"])
            }
        }
        return before
    }
}
