import Foundation
import GatehouseCore
import GatehouseServer
import GatehouseTestSupport
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import Testing

@testable import GatehouseSQLite

/// The attacks of the security hardening, each failing through the real composition root.
@Suite struct SecurityTests {
    static let adminRoutes: [(HTTPRequest.Method, String, String?)] = [
        (.get, "/v1/admin/auth_providers", nil), (.post, "/v1/admin/auth_providers", FakeProvider.definition),
        (.get, "/v1/admin/auth_providers/fake", nil), (.patch, "/v1/admin/auth_providers/fake", #"{"description":"x"}"#),
        (.delete, "/v1/admin/auth_providers/fake", nil), (.get, "/v1/admin/user_connections", nil),
        (.delete, "/v1/admin/user_connections/uc_x", nil), (.get, "/v1/admin/settings/session_verification", nil),
        (.put, "/v1/admin/settings/session_verification", #"{"verifier_url":"http://127.0.0.1:4000/verify"}"#),
        (.get, "/v1/admin/secrets", nil), (.post, "/v1/admin/secrets/k", #"{"value":"v"}"#),
        (.delete, "/v1/admin/secrets/sec_x", nil),
    ]

    @Test func anAppKeyIsRefusedEveryAdminRouteButAuthorizes() async throws {
        try await APIHarness.run { api in
            try await api.createProvider()
            let app = try await api.makeKey(role: .app)
            // A connection and a secret for the deletes to name (`uc_x`, `sec_x` stand for them).
            _ = try await api.completedToken(user: "u0")
            let connection = try #require(
                try api.object(try await api.call(.get, "/v1/admin/user_connections"))["items"] as? [[String: Any]])
            let connectionID = try #require(connection.first?["id"] as? String)
            let secretID = try #require(
                try api.object(try await api.call(.post, "/v1/admin/secrets/kept", json: #"{"value":"v"}"#))["id"] as? String)
            // What the writes among the routes would change, read with the admin key before and after.
            let watched = [
                "/v1/admin/auth_providers/fake", "/v1/admin/settings/session_verification", "/v1/admin/secrets",
                "/v1/admin/user_connections",
            ]
            func snapshot() async throws -> [String] {
                var bodies: [String] = []
                for path in watched { bodies.append(String(buffer: try await api.call(.get, path).body)) }
                return bodies
            }
            let before = try await snapshot()
            for (method, route, body) in Self.adminRoutes {
                let path = route.replacingOccurrences(of: "uc_x", with: connectionID)
                    .replacingOccurrences(of: "sec_x", with: secretID)
                let response = try await api.call(method, path, json: body, authorization: "Bearer \(app)")
                #expect(response.status == .forbidden, "\(method) \(path)")
                let error = try api.object(response)
                #expect(error["name"] as? String == "forbidden")
                #expect((error["message"] as? String)?.contains("admin role") == true, "\(error)")
            }
            #expect(try await snapshot() == before)
            let authorized = try await api.call(
                .post, "/v1/auth/authorize", json: #"{"auth_requirement":{"provider_id":"fake"},"user_id":"u1"}"#,
                authorization: app)
            #expect(authorized.status == .ok)
            #expect(try await api.call(.get, "/v1/admin/auth_providers").status == .ok)
        }
    }

    @Test func aRevokedKeyStopsWithinASecond() async throws {
        try await APIHarness.run { api in
            let app = try await api.makeKey(role: .app)
            #expect(try await api.call(.get, "/v1/auth/status?id=ac_x", authorization: app).status == .notFound)
            let store = try await OperatorStore.open(api.configuration)
            let id = try #require(try await store.apiKeys().first { $0.role == .app }?.id)
            #expect(try await store.revokeAPIKey(id: id))
            try await store.close()
            try await Task.sleep(for: .milliseconds(1100))
            #expect(try await api.call(.get, "/v1/auth/status?id=ac_x", authorization: app).status == .unauthorized)
        }
    }

    /// A wait parked before its key was revoked has its head (200) already: the flow's
    /// completion does not hand it the token; it answers as if the wait had run out.
    @Test func aWaitParkedBeforeItsKeyWasRevokedGetsNoToken() async throws {
        try await APIHarness.run { api in
            try await api.createProvider()
            let app = try await api.makeKey(role: .app)
            let pending = try await api.authorize(user: "nina")
            let id = try #require(pending["id"] as? String)
            async let parked = api.call(.get, "/v1/auth/status?id=\(id)&wait=30", authorization: app)
            #expect(try await api.parked(1))
            let store = try await OperatorStore.open(api.configuration)
            let keyID = try #require(try await store.apiKeys().first { $0.role == .app }?.id)
            #expect(try await store.revokeAPIKey(id: keyID))
            try await store.close()
            try await Task.sleep(for: .milliseconds(1100))  // past the key cache's second
            _ = try await api.callback(for: pending)
            let answer = try api.object(try await parked)
            #expect(answer["status"] as? String == "pending" && answer["context"] == nil)
            // The admin key's read of the same flow has the token.
            let read = try api.object(try await api.call(.get, "/v1/auth/status?id=\(id)"))
            #expect((read["context"] as? [String: Any])?["token"] != nil)
        }
    }

    @Test func userIDsCompareAsBytes() async throws {
        try await APIHarness.run(configure: { $0.verifierURL = "http://127.0.0.1:9/verify" }) { api in
            try await api.createProvider()
            // "é" precomposed starts the flow; the decomposed spelling (equal as Swift strings) confirms it.
            let pending = try await api.authorize(user: "jos\u{E9}")
            let page = try await api.callback(for: pending)
            #expect(page.status == .seeOther)
            let location = try #require(page.headers[.location])
            let flowID = try #require(URLComponents(string: location)?.queryItems?.first { $0.name == "flow_id" }?.value)
            // The verification id is at rest only as its hash.
            let store = try await SQLiteStore.open(
                path: api.configuration.dataDirectory + "/gatehouse.sqlite", logger: Logger(label: "test"))
            #expect(try await store.flow(verificationHash: SecretHash.hex(flowID)) != nil)
            #expect(try await store.rows("SELECT id FROM flows WHERE verification_id = ?", [.text(flowID)]).isEmpty)
            try await store.close()
            let confirmed = try await api.call(
                .post, "/v1/auth/confirm_user", json: #"{"flow_id":"\#(flowID)","user_id":"jose\#u{301}"}"#)
            #expect(confirmed.status == .badRequest)
            #expect(try api.object(confirmed)["name"] as? String == "user_mismatch")
        }
    }

    @Test func aScopeWithACommaUnderACombiningMarkIsRefused() async throws {
        try await APIHarness.run { api in
            try await api.createProvider()
            let response = try await api.call(
                .post, "/v1/auth/authorize",
                json: #"{"auth_requirement":{"provider_id":"fake","oauth2":{"scopes":["a,\u0301b"]}},"user_id":"u"}"#)
            #expect(response.status == .badRequest)
            #expect((try api.object(response)["message"] as? String)?.contains("scope") == true)
            // No flow was begun for it.
            let store = try await SQLiteStore.open(
                path: api.configuration.dataDirectory + "/gatehouse.sqlite", logger: Logger(label: "test"))
            #expect(try await store.rows("SELECT id FROM flows", []).isEmpty)
            try await store.close()
        }
    }

    @Test(arguments: ["a\\u0000b", "a\\nb", "a\\u007fb", "a\\u0085b"])
    func controlCharactersInIdentifiersAreRefused(userID: String) async throws {
        try await APIHarness.run { api in
            try await api.createProvider()
            let byUser = try await api.call(
                .post, "/v1/auth/authorize", json: #"{"auth_requirement":{"provider_id":"fake"},"user_id":"\#(userID)"}"#)
            #expect(byUser.status == .badRequest)
            let byScope = try await api.call(
                .post, "/v1/auth/authorize",
                json: #"{"auth_requirement":{"provider_id":"fake","oauth2":{"scopes":["\#(userID)"]}},"user_id":"u"}"#)
            #expect(byScope.status == .badRequest)
            let confirm = try await api.call(.post, "/v1/auth/confirm_user", json: #"{"flow_id":"af_x","user_id":"\#(userID)"}"#)
            #expect(confirm.status == .badRequest)
        }
    }

    @Test func aKeyOverItsRateGets429WithRetryAfter() async throws {
        // One token per 10 s: the five calls come well within it, also on a loaded machine (at 1
        // per second a full test run once took long enough between calls to earn a token back).
        try await APIHarness.run(configure: {
            $0.limits.requestsPerSecond = 0.1
            $0.limits.burst = 3
        }) { api in
            var statuses: [HTTPResponse.Status] = []
            var retryAfter: String?
            for _ in 0..<5 {
                let response = try await api.call(.get, "/v1/auth/status?id=ac_none")
                statuses.append(response.status)
                if response.status == .tooManyRequests { retryAfter = response.headers[.retryAfter] }
            }
            #expect(statuses.prefix(3).allSatisfy { $0 == .notFound })
            #expect(statuses.last == .tooManyRequests)
            // The time until the next token, in whole seconds.
            #expect(retryAfter.flatMap(Int.init).map { (1...10).contains($0) } == true)
        }
    }

    @Test func anAppKeyRefusedAtTheAdminRoutesSpendsItsRateToo() async throws {
        try await APIHarness.run(configure: {
            $0.limits.requestsPerSecond = 0.1
            $0.limits.burst = 3
        }) { api in
            let app = try await api.makeKey(role: .app)
            var statuses: [HTTPResponse.Status] = []
            for _ in 0..<4 { statuses.append(try await api.call(.get, "/v1/admin/auth_providers", authorization: app).status) }
            #expect(statuses == [.forbidden, .forbidden, .forbidden, .tooManyRequests])
            #expect(try await api.call(.get, "/v1/auth/status?id=ac_none", authorization: app).status == .tooManyRequests)
        }
    }

    @Test func parkedWaitsPerKeyAreCapped() async throws {
        try await APIHarness.run(configure: { $0.limits.maxParkedWaitsPerKey = 1 }) { api in
            try await api.createProvider()
            let id = try #require(try await api.authorize(user: "u1")["id"] as? String)
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    let parked = try await api.call(.get, "/v1/auth/status?id=\(id)&wait=2")
                    #expect(parked.status == .ok)
                }
                #expect(try await api.parked(1))
                let second = try await api.call(.get, "/v1/auth/status?id=\(id)&wait=2")
                #expect(second.status == .tooManyRequests)
                #expect(second.headers[.retryAfter] != nil)
                #expect(try await api.call(.get, "/v1/auth/status?id=\(id)").status == .ok)
                try await group.waitForAll()
            }
            // The answered wait gave its place back.
            #expect(try await api.call(.get, "/v1/auth/status?id=\(id)&wait=1").status == .ok)
        }
    }

    @Test func aBodyOverTheLimitIsRefusedBeforeItIsRead() async throws {
        try await APIHarness.run(configure: { $0.limits.maxBodyBytes = 100 }) { api in
            let big = #"{"user_id":"\#(String(repeating: "a", count: 200))"}"#
            let response = try await api.call(.post, "/v1/auth/authorize", json: big)
            #expect(response.status == .contentTooLarge)
            #expect((try api.object(response)["message"] as? String)?.contains("api.max_request_body_size") == true)
        }
    }

    @Test func skippingVerificationNeedsLoopbackAllTheWay() throws {
        let publicURL = GatehouseConfiguration(publicURL: "https://auth.example.com")
        #expect(throws: ConfigurationError.self) { try publicURL.verificationPolicy() }
        let publicListener = GatehouseConfiguration(host: "0.0.0.0")
        #expect(throws: ConfigurationError.self) { try publicListener.verificationPolicy() }
        let lookalike = GatehouseConfiguration(host: "127.attacker.example")
        #expect(throws: ConfigurationError.self) { try lookalike.verificationPolicy() }
        #expect(try GatehouseConfiguration(publicURL: "http://localhost:9099").verificationPolicy().default.unsafeSkip)
        // Naming the unsafe setting does not lift the rule.
        let named = GatehouseConfiguration(host: "0.0.0.0", unsafeSkipVerification: true, hasConfigFile: true)
        #expect(throws: ConfigurationError.self) { try named.verificationPolicy() }
        let choice = GatehouseConfiguration(
            publicURL: "https://auth.example.com", verifierURL: "https://app.example.com/verify", unsafeSkipVerification: true,
            hasConfigFile: true)
        #expect(throws: ConfigurationError.self) { try choice.verificationPolicy() }
    }
}
