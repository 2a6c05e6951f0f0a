import Foundation
import Testing

@testable import Gatehouse

// Long-polls: waitForCompletion's answers, its timeout and what it outlasts.
extension GatehouseClientTests {
    @Test func waitForCompletionLongPollsAndStopsOnFailure() async throws {
        let server = ScriptedServer()
        server.script("/v1/auth/status", .init(body: Self.pending), .init(body: Self.completed))
        try await server.run { client in
            let done = try await client.auth.waitForCompletion(AuthorizationResponse(id: "ac_1", status: .pending))
            #expect(done.context?.token == "tok")
        }
        // `return_failed`: Gatehouse answers a failed flow at once instead of holding the wait.
        #expect(
            server.recorded.map(\.uri) == [
                "/v1/auth/status?id=ac_1&wait=45&return_failed=true", "/v1/auth/status?id=ac_1&wait=45&return_failed=true",
            ])

        let failing = ScriptedServer()
        failing.script(
            "/v1/auth/status", .init(body: #"{"id":"ac_2","status":"failed","status_reason":"the user denied access"}"#))
        try await failing.run { client in
            await #expect {
                try await client.auth.waitForCompletion(id: "ac_2")
            } throws: { error in
                // The error says why, as the server said it.
                guard case .authorizationFailed(let response)? = error as? GatehouseClientError else { return false }
                return response.id == "ac_2" && "\(error)" == "authorization ac_2 failed: the user denied access"
            }
        }
        #expect(failing.recorded.count == 1)
    }

    /// With a timeout, a server that cannot answer for a while (here three 503s, more than the
    /// client's two retries) does not end the wait: the flow completes meanwhile.
    @Test func aTimedWaitOutlastsAShortOutage() async throws {
        let server = ScriptedServer()
        let down = ScriptedServer.Answer(status: .serviceUnavailable, body: #"{"name":"store_unavailable"}"#)
        server.script("/v1/auth/status", down, down, down, .init(body: Self.completed))
        try await server.run { client in
            let done = try await client.auth.waitForCompletion(id: "ac_1", timeout: .seconds(20))
            #expect(done.status == .completed)
        }
        #expect(server.recorded.count == 4)
        // Without one, the outage ends the wait as the official clients' does.
        let again = ScriptedServer()
        again.script("/v1/auth/status", down, down, down, .init(body: Self.completed))
        try await again.run { client in
            await #expect(throws: GatehouseAPIError.self) { try await client.auth.waitForCompletion(id: "ac_1") }
        }
    }

    @Test func aTimeoutEndsTheWaitWithoutPollingInItsLastSecond() async throws {
        let server = ScriptedServer()
        server.script("/v1/auth/status", .init(body: Self.pending, heldForWait: true))
        try await server.run { client in
            let started = ContinuousClock.now
            await #expect {
                try await client.auth.waitForCompletion(id: "ac_1", timeout: .milliseconds(2500))
            } throws: { error in
                guard case .timedOut(let response)? = error as? GatehouseClientError else { return false }
                return response.status == .pending
            }
            // Not given up before the timeout (how long after it depends on the machine's load).
            let waited = ContinuousClock.now - started
            #expect(waited >= .milliseconds(2500), "\(waited)")
        }
        // Two whole seconds long-polled, the last half slept, then one look at the deadline (none
        // when the first answer came after it, on a loaded machine): a wait of 0 answers at once,
        // and asked again until the deadline it made hundreds of calls.
        let calls = server.recorded.map(\.uri)
        #expect(calls.first == "/v1/auth/status?id=ac_1&wait=2&return_failed=true")
        #expect(calls.dropFirst().allSatisfy { $0 == "/v1/auth/status?id=ac_1&wait=0&return_failed=true" } && calls.count <= 2)
    }

    @Test func waitForCompletionReturnsACompletedResponseWithoutCalling() async throws {
        let server = ScriptedServer()
        try await server.run { client in
            let done = AuthorizationResponse(id: "ac_1", status: .completed, context: .init(token: "t"))
            let result = try await client.auth.waitForCompletion(done)
            #expect(result == done)
        }
        #expect(server.recorded.isEmpty)
    }
}

/// Which failures say no server was there, and which say it did not answer in time.
@Suite struct UnansweredTests {
    /// A server that took the request and sends nothing, or stalls after its head, is cut off
    /// at the timeout, and did not answer in time: it was reached.
    @Test(arguments: ["no head", "head only"])
    func aServerThatStallsIsCutOffAtTheTimeout(stall: String) async throws {
        let server = ScriptedServer()
        let body = #"{"id":"ac_1","status":"pending"}"#
        server.script(
            "/v1/auth/status",
            stall == "no head" ? .init(body: body, headAfter: .seconds(4)) : .init(body: body, bodyAfter: .seconds(4)))
        try await server.serve { base in
            let client = try GatehouseClient(
                apiKey: "k", baseURL: base, configuration: .init(timeout: .seconds(1), maxRetries: 0), environment: [:])
            let started = ContinuousClock.now
            await #expect {
                _ = try await client.auth.status(id: "ac_1")
            } throws: { error in
                guard case .noAnswer(let reason)? = error as? GatehouseClientError else { return false }
                return reason.hasSuffix(": no answer within the timeout")
            }
            #expect(started.duration(to: .now) < .seconds(3))
        }
    }

    /// A timed wait goes on past either: a later poll may find the server again.
    @Test func bothAreTransient() {
        #expect(AuthResource.isTransient(GatehouseClientError.noAnswer("x")))
        #expect(AuthResource.isTransient(GatehouseClientError.connection("x")))
        #expect(!AuthResource.isTransient(GatehouseClientError.invalidResponse("x")))
    }
}

/// The retry delays, as the official clients space them.
@Suite struct BackoffTests {
    @Test func delaysDoubleUpToTheMostAndAreCutByUpToAQuarterAtRandom() throws {
        let client = try GatehouseClient(
            apiKey: "k", baseURL: "http://127.0.0.1:1",
            configuration: .init(initialBackoff: .milliseconds(400), maxBackoff: .milliseconds(1000)), environment: [:])
        for (attempt, full) in [(0, 400), (1, 800), (2, 1000), (9, 1000)] {
            let delays = (0..<200).map { _ in client.transport.backoff(attempt) }
            #expect(delays.allSatisfy { $0 > .milliseconds(full) * 0.75 - .microseconds(1) && $0 <= .milliseconds(full) })
            // Spread out, not one delay for every client.
            #expect(Set(delays).count > 100)
        }
    }
}
