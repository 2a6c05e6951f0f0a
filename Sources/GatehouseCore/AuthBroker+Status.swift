import Foundation
import GatehouseWire
import Logging

// `status`, with the long-poll parked on the notifier.
extension AuthBroker {
    /// `GET /v1/auth/status`: the flow's status; with `wait`, parks until it completes or the
    /// wait runs out (then 200 with the current status, never 408). A failed flow keeps the wait
    /// parked, as Arcade's clients expect; `returnFailed` (Gatehouse's `return_failed=true`, which
    /// the Swift SDK sends) answers it at once instead. An `abandonment` that is abandoned ends
    /// the wait at once, as if its time had run out.
    package func status(
        id: String, wait: Duration?, returnFailed: Bool = false, abandonment: WaitAbandonment? = nil
    ) async throws -> AuthorizationResponse {
        guard let wait, wait > .zero else { return try await statusNow(id: id) }
        let deadline = ContinuousClock.now.advanced(by: wait)
        while true {
            let ticket = await notifier.prepare(flowID: id)
            let response: AuthorizationResponse
            do {
                // Read in a child task: the frames of the read (the store, the cipher) are
                // freed with it, instead of staying in this task's stack while it is parked.
                async let read = statusNow(id: id)
                response = try await read
            } catch {
                await notifier.cancel(ticket)
                throw error
            }
            let remaining = ContinuousClock.now.duration(to: deadline)
            if response.status == .completed || (returnFailed && response.status == .failed) || remaining <= .zero
                || Task.isCancelled || abandonment?.isAbandoned == true
            {
                await notifier.cancel(ticket)
                return response
            }
            abandonment?.onAbandon { [notifier] in Task { await notifier.cancel(ticket) } }
            telemetry.parkedLongPolls(1)
            let woken = await notifier.wait(ticket, timeout: remaining)
            telemetry.parkedLongPolls(-1)
            switch woken {
            case .ended: return try await statusNow(id: id)
            // Completed in this process: the answer comes with the wake, not from the store.
            case .changed(let answer?): return answer
            case .changed(nil): continue
            }
        }
    }

    /// Ends every parked `status?wait` now, and every later one at once: the server is
    /// shutting down, so each answers with its flow's current status. The server's shutdown
    /// handler calls it (`BuiltApplication.runService`); the first call does the work, in a task
    /// of its own (the handler is synchronous), and any later one returns at once.
    package func endWaits() {
        guard !waitsEnded.exchange(true, ordering: .relaxed) else { return }
        Task { await notifier.endWaits() }
    }

    func statusNow(id: String) async throws -> AuthorizationResponse {
        guard var flow = try await store.flow(id: id) else {
            throw GatehouseError.notFound("authorization '\(id)' not found")
        }
        // Only a flow whose state was used may have a callback at work (one lock, not on every read).
        let atWork = flow.stateUsed && flow.status == .pending && callbacksAtWork.contains(flow.stateHash)
        if let stopped = try await stoppedCallback(flow, atWork: atWork, reread: { try await store.flow(id: id) }) {
            flow = try await fail(stopped, .callbackInterrupted, reason: Flow.callbackInterruptedReason) ?? stopped
            return try pendingResponse(flow)
        }
        switch flow.status {
        case .completed:
            guard let provider = try await providers.provider(id: flow.providerID), provider.enabled,
                let connection = try await store.connection(userID: flow.userID, providerID: flow.providerID),
                connection.status == .active,
                let response = try await completedResponse(connection, provider: provider)
            else {
                // The grant was deleted or revoked since, or its provider made inactive: this
                // authorization no longer stands.
                var response = try pendingResponse(flow)
                response.status = .failed
                response.url = nil
                response.statusReason =
                    "the connection it made was deleted or revoked since, or its provider disabled; start the authorization again"
                return response
            }
            var completed = response
            completed.id = flow.id
            return completed
        case .pending where flow.expiresAt <= now():
            flow = try await fail(flow, .expired, reason: Flow.expiredReason) ?? flow
            return try pendingResponse(flow)
        case .pending, .failed:
            return try pendingResponse(flow)
        }
    }
}
