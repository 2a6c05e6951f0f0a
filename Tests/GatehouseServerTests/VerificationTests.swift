import Foundation
import GatehouseServer
import GatehouseTestSupport
import HTTPTypes
import HummingbirdTesting
import Testing

@Suite struct VerificationTests {
    func enableVerifier(_ api: APIHarness) async throws {
        let response = try await api.call(
            .put, "/v1/admin/settings/session_verification",
            json: #"{"verifier_url":"http://127.0.0.1:4000/verify","unsafe_skip_verification":false}"#)
        #expect(response.status == .ok)
    }

    func flowID(_ page: TestResponse) throws -> String {
        #expect(page.status == .seeOther)
        let header = try #require(page.headers[.location])
        let location = try #require(URLComponents(string: header))
        #expect(location.path == "/verify" && location.queryItems?.map(\.name) == ["flow_id"])
        return try #require(location.queryItems?.first?.value)
    }

    /// The fake provider, the verifier on, and alice's flow through the provider's callback
    /// (`beforeCallback` runs between the two): the authorization's id, and the flow id the
    /// verifier is given.
    func awaitingVerification(_ api: APIHarness, beforeCallback: () -> Void = {}) async throws -> (id: String, flow: String) {
        try await api.createProvider()
        try await enableVerifier(api)
        let pending = try await api.authorize(user: "alice")
        let id = try #require(pending["id"] as? String)
        beforeCallback()
        return (id, try flowID(try await api.callback(for: pending)))
    }

    @Test func confirmUserCompletesTheFlowForTheRightUser() async throws {
        try await APIHarness.run { api in
            let (id, flow) = try await awaitingVerification(api)
            #expect(flow.hasPrefix("af_") && flow != id)
            #expect(try api.object(try await api.call(.get, "/v1/auth/status?id=\(id)"))["status"] as? String == "pending")

            let confirmed = try await api.call(.post, "/v1/auth/confirm_user", json: #"{"flow_id":"\#(flow)","user_id":"alice"}"#)
            #expect(confirmed.status == .ok)
            let body = try api.object(confirmed)
            #expect(body["auth_id"] as? String == id)
            let next = try #require(body["next_uri"] as? String)
            #expect(try api.object(try await api.call(.get, "/v1/auth/status?id=\(id)"))["status"] as? String == "completed")
            // Retrying is harmless, and the continuation only reads.
            #expect(
                try await api.call(.post, "/v1/auth/confirm_user", json: #"{"flow_id":"\#(flow)","user_id":"alice"}"#).status
                    == .ok)
            let path = try #require(URLComponents(string: next)?.path)
            for _ in 0..<2 { #expect(try await api.call(.get, path, authorization: nil).status == .ok) }
            #expect(api.provider.codeGrants == 1)
        }
    }

    /// A verifier that retries while its first call is still completing the flow: every call
    /// answers as the first does, none with 409.
    @Test func concurrentConfirmationsOfTheRightUserAllSucceed() async throws {
        try await APIHarness.run { api in
            let (id, flow) = try await awaitingVerification(api)
            let statuses = try await withThrowingTaskGroup(of: HTTPResponse.Status.self) { group in
                for _ in 0..<10 {
                    group.addTask {
                        try await api.call(.post, "/v1/auth/confirm_user", json: #"{"flow_id":"\#(flow)","user_id":"alice"}"#)
                            .status
                    }
                }
                return try await group.reduce(into: [HTTPResponse.Status]()) { $0.append($1) }
            }
            #expect(statuses == Array(repeating: .ok, count: 10))
            #expect(try api.object(try await api.call(.get, "/v1/auth/status?id=\(id)"))["status"] as? String == "completed")
        }
    }

    /// The provider's redirect came a second before the flow expired: the flow lives on from
    /// the state's use, so the user can still be confirmed after the original expiry.
    @Test func aCallbackJustBeforeTheExpiryCanStillBeConfirmed() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("gh-ver-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let clock = TestClock()
        try await APIHarness.run(configuration: GatehouseConfiguration(port: 0, dataDirectory: directory), now: clock.now) {
            api in
            let (id, flow) = try await awaitingVerification(api) { clock.advance(by: api.configuration.flowTTL - 1) }
            clock.advance(by: 60)
            let confirmed = try await api.call(.post, "/v1/auth/confirm_user", json: #"{"flow_id":"\#(flow)","user_id":"alice"}"#)
            #expect(confirmed.status == .ok)
            #expect(try api.object(try await api.call(.get, "/v1/auth/status?id=\(id)"))["status"] as? String == "completed")
        }
    }

    @Test func aMismatchIsRefusedAndTheGrantDiscarded() async throws {
        try await APIHarness.run { api in
            let (_, flow) = try await awaitingVerification(api)
            let refused = try await api.call(
                .post, "/api/v1/oauth/confirm_user", json: #"{"flow_id":"\#(flow)","user_id":"mallory"}"#)
            #expect(refused.status == .badRequest)
            let body = try api.object(refused)
            #expect(body["error"] as? String == "user_mismatch" && body["code"] as? Int == 400 && body["msg"] != nil)
            #expect(try api.object(try await api.call(.get, "/v1/admin/user_connections"))["total_count"] as? Int == 0)
            // The person who followed the link is told, in words for them.
            let page = try await api.call(.get, "/v1/oauth/complete/\(flow)", authorization: nil)
            #expect(page.status == .forbidden)
            let html = String(buffer: page.body)
            #expect(html.contains("Signed in as someone else") && !html.contains("mismatch"))
            let retry = try await api.call(.post, "/v1/auth/confirm_user", json: #"{"flow_id":"\#(flow)","user_id":"alice"}"#)
            #expect(retry.status == .badRequest)
            #expect(
                try await api.call(.post, "/v1/auth/confirm_user", json: #"{"flow_id":"af_x","user_id":"a"}"#).status == .notFound
            )
            #expect(try await api.call(.post, "/v1/auth/confirm_user", json: #"{"flow_id":"af_x"}"#).status == .badRequest)
        }
    }

    @Test func theSettingRoundTripsAndRejectsBadURLs() async throws {
        try await APIHarness.run { api in
            let initial = try api.object(try await api.call(.get, "/v1/admin/settings/session_verification"))
            #expect(initial["verifier_url"] is NSNull && initial["unsafe_skip_verification"] as? Bool == true)
            let bad = try await api.call(
                .put, "/v1/admin/settings/session_verification", json: #"{"verifier_url":"javascript:alert(1)"}"#)
            #expect(bad.status == .badRequest)
            let outside = try await api.call(
                .put, "/v1/admin/settings/session_verification", json: #"{"verifier_url":"https://evil.example/v"}"#)
            #expect(outside.status == .badRequest)
            // Arcade's "its own verifier": Gatehouse has none, and says so.
            let none = try await api.call(
                .put, "/v1/admin/settings/session_verification",
                json: #"{"verifier_url":null,"unsafe_skip_verification":false}"#)
            #expect(none.status == .badRequest)
            #expect(String(buffer: none.body).contains("Gatehouse has no verifier of its own"))
        }
    }

    @Test func skippingIsForbiddenUnlessTheOperatorNamedIt() async throws {
        try await APIHarness.run(configure: {
            $0.hasConfigFile = true
            $0.verifierURL = "https://app.example.com/verify"
        }) { api in
            let view = try api.object(try await api.call(.get, "/v1/admin/settings/session_verification"))
            #expect(view["verifier_url"] as? String == "https://app.example.com/verify")
            #expect(view["unsafe_skip_verification_choice_allowed"] as? Bool == false)
            let response = try await api.call(
                .put, "/v1/admin/settings/session_verification", json: #"{"unsafe_skip_verification":true}"#)
            #expect(response.status == .forbidden)
        }
    }

    @Test func aConfigWithoutAVerifierDoesNotStart() async throws {
        var configuration = GatehouseConfiguration(dataDirectory: "/tmp/unused")
        configuration.hasConfigFile = true
        let withAFile = #expect(throws: ConfigurationError.self) { try configuration.verificationPolicy() }
        #expect(withAFile?.description.hasPrefix("auth.user_verification") == true, "\(String(describing: withAFile))")
        configuration.hasConfigFile = false
        configuration.host = "0.0.0.0"
        let listening = #expect(throws: ConfigurationError.self) { try configuration.verificationPolicy() }
        #expect(
            listening?.description.hasPrefix("user verification can be skipped only when both the listener (0.0.0.0)") == true,
            "\(String(describing: listening))")
        // Naming the unsafe skip does not make it safe on a public listener.
        configuration.unsafeSkipVerification = true
        let skipping = #expect(throws: ConfigurationError.self) { try configuration.verificationPolicy() }
        #expect(
            skipping?.description.hasPrefix("auth.user_verification.unsafe_skip_verification is allowed only when") == true,
            "\(String(describing: skipping))")
        configuration.host = "127.0.0.1"
        configuration.hasConfigFile = true
        #expect(try configuration.verificationPolicy().warning != nil)
    }
}
