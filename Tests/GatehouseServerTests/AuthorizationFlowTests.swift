import Foundation
import GatehouseTestSupport
import HTTPTypes
import Testing

@Suite struct AuthorizationFlowTests {
    @Test func theWholeFlowThroughTheAPI() async throws {
        try await APIHarness.run { api in
            try await api.createProvider()
            let pending = try await api.authorize(user: "alice")
            #expect(pending["status"] as? String == "pending")
            let id = try #require(pending["id"] as? String)
            #expect(id.hasPrefix("ac_"))
            let urlText = try #require(pending["url"] as? String)
            let url = try #require(URLComponents(string: urlText))
            let query = Dictionary(uniqueKeysWithValues: (url.queryItems ?? []).map { ($0.name, $0.value ?? "") })
            #expect(query["code_challenge_method"] == "S256" && query["code_challenge"]?.count == 43)
            #expect((query["state"]?.count ?? 0) >= 43 && query["scope"] == "read")
            #expect(query["redirect_uri"]?.hasSuffix("/v1/oauth/fake/callback") == true)

            // Identical requests share the flow (and make SDK retries idempotent).
            let again = try await api.authorize(user: "alice")
            #expect(again["id"] as? String == id && again["url"] as? String == pending["url"] as? String)

            let page = try await api.callback(for: pending)
            #expect(page.status == .ok)
            #expect(page.headers[HTTPField.Name("Referrer-Policy")!] == "no-referrer")
            #expect(page.headers[.contentSecurityPolicy]?.contains("frame-ancestors 'none'") == true)
            #expect(api.provider.codeGrants == 1)

            let answer = try await api.call(.get, "/v1/auth/status?id=\(id)")
            // The user info as the provider wrote it, a 64-bit id to the last digit.
            #expect(String(buffer: answer.body).contains(#""account":1234567890123456789"#))
            let status = try api.object(answer)
            #expect(status["status"] as? String == "completed" && status["id"] as? String == id)
            let context = try #require(status["context"] as? [String: Any])
            #expect(context["token"] as? String == "at-1")
            #expect((context["user_info"] as? [String: Any])?["sub"] as? String == "42")

            // Already authorized: completed at once, with an id.
            let done = try await api.authorize(user: "alice")
            #expect(done["status"] as? String == "completed" && done["id"] as? String == id)
            #expect((done["context"] as? [String: Any])?["token"] as? String == "at-1")
            #expect(try await api.authorize(user: "alice", scopes: [])["status"] as? String == "completed")

            // More scopes: a new flow for the union.
            let more = try await api.authorize(user: "alice", scopes: ["write"])
            #expect(more["status"] as? String == "pending")
            #expect(Set(more["scopes"] as? [String] ?? []) == ["read", "write"])
            #expect((more["url"] as? String)?.contains("scope=write%20read") == true)
        }
    }

    @Test func replayedTamperedAndDeniedCallbacks() async throws {
        try await APIHarness.run { api in
            try await api.createProvider()
            let pending = try await api.authorize(user: "bob")
            #expect(
                try await api.call(.get, "/v1/oauth/fake/callback?code=good-code&state=forged", authorization: nil).status
                    == .badRequest)
            #expect(try await api.call(.get, "/v1/oauth/fake/callback?code=good-code", authorization: nil).status == .badRequest)
            #expect(try await api.callback(for: pending).status == .ok)
            // A replay (a reload of the page) says how the flow ended and does nothing again.
            let replay = try await api.callback(for: pending)
            #expect(replay.status == .ok && String(buffer: replay.body).contains("You connected fake"))
            #expect(replay.headers[.contentType]?.hasPrefix("text/html") == true)
            #expect(api.provider.codeGrants == 1, "a code is exchanged once")

            let denied = try await api.authorize(user: "carol")
            let page = try await api.callback(for: denied, extra: "&error=access_denied")
            #expect(page.status == .badRequest)
            let id = try #require(denied["id"] as? String)
            let failed = try api.object(try await api.call(.get, "/v1/auth/status?id=\(id)"))
            #expect(failed["status"] as? String == "failed" && failed["url"] == nil, "\(failed)")
            // Why, in words: the app can tell the person, where `failed` alone says nothing.
            #expect(failed["status_reason"] as? String == "the user denied access")

            let refused = try await api.authorize(user: "dave")
            #expect(try await api.callback(for: refused, code: "bad-code").status == .badGateway)
            let refusedID = try #require(refused["id"] as? String)
            let exchangeFailed = try api.object(try await api.call(.get, "/v1/auth/status?id=\(refusedID)"))
            #expect(exchangeFailed["status"] as? String == "failed")
            #expect(
                (exchangeFailed["status_reason"] as? String)?.hasPrefix("token exchange failed: ") == true, "\(exchangeFailed)")
            let open = try await api.authorize(user: "frank")
            #expect(open["status"] as? String == "pending" && open["status_reason"] == nil, "only a failed flow says why")
            #expect(
                try api.object(try await api.call(.get, "/v1/admin/user_connections?user_id=dave"))["total_count"] as? Int == 0)
        }
    }

    @Test func longPollReturns200PendingWhenTheWaitRunsOut() async throws {
        try await APIHarness.run { api in
            try await api.createProvider()
            let id = try #require(try await api.authorize(user: "erin")["id"] as? String)
            let clock = ContinuousClock()
            let started = clock.now
            let response = try await api.call(.get, "/v1/auth/status?id=\(id)&wait=1")
            #expect(response.status == .ok)
            #expect(try api.object(response)["status"] as? String == "pending")
            #expect(started.duration(to: clock.now) >= .milliseconds(900))
        }
    }

    static func sortedJSON(_ object: [String: Any]) throws -> Data {
        try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
    }

    @Test func longPollWakesOnCompletion() async throws {
        try await APIHarness.run { api in
            try await api.createProvider()
            let pending = try await api.authorize(user: "frank")
            let id = try #require(pending["id"] as? String)
            let clock = ContinuousClock()
            let started = clock.now
            async let polled = api.call(.get, "/v1/auth/status?id=\(id)&wait=30")
            #expect(try await api.parked(1))
            _ = try await api.callback(for: pending)
            let response = try await polled
            #expect(try api.object(response)["status"] as? String == "completed")
            #expect(started.duration(to: clock.now) < .seconds(10))
            // The wait's answer came with its wake, not from the store: it is what a read says.
            let read = try await api.call(.get, "/v1/auth/status?id=\(id)")
            #expect(try Self.sortedJSON(api.object(response)) == Self.sortedJSON(api.object(read)))
        }
    }

    @Test(arguments: [
        ("/v1/auth/status", 400, "id"),
        ("/v1/auth/status?id=ac_unknown", 404, "not found"),
        ("/v1/auth/status?id=ac_unknown&wait=abc", 400, "wait"),
        ("/v1/auth/status?id=ac_unknown&wait=-1", 400, "wait"),
        // A wait past any integer is as long as the longest, not a bad query.
        ("/v1/auth/status?id=ac_unknown&wait=99999999999999999999", 404, "not found"),
        ("/v1/admin/user_connections?limit=0", 400, "limit"),
        ("/v1/admin/user_connections?offset=x", 400, "offset"),
    ])
    func badQueries(uri: String, status: Int, mention: String) async throws {
        try await APIHarness.run { api in
            let response = try await api.call(.get, uri)
            #expect(response.status.code == status)
            #expect((try api.object(response)["message"] as? String ?? "").contains(mention))
        }
    }

    @Test(arguments: [
        ("{", "application/json", 400, "not valid JSON"),
        ("[1]", "application/json", 400, "the body must be an object"),
        ("null", "application/json", 400, "the body must be an object"),
        (#"{"user_id":"u"}"#, "application/json", 400, "auth_requirement"),
        (#"{"auth_requirement":{"provider_id":"fake"}}"#, "application/json", 400, "user_id"),
        (#"{"auth_requirement":{"provider_id":"fake"},"user_id":7}"#, "application/json", 400, "user_id"),
        (
            #"{"auth_requirement":{"provider_id":"fake","oauth2":{"scopes":"read"}},"user_id":"u"}"#, "application/json", 400,
            "scopes"
        ),
        (
            #"{"auth_requirement":{"provider_id":"fake","oauth2":{"scopes":["a b"]}},"user_id":"u"}"#, "application/json", 400,
            "scope"
        ),
        (#"{"auth_requirement":{"provider_id":"nope"},"user_id":"u"}"#, "application/json", 400, "unknown auth provider"),
        (#"{"auth_requirement":{},"user_id":"u"}"#, "application/json", 400, "provider_id or id"),
        (#"{"auth_requirement":{"provider_id":"fake"},"user_id":""}"#, "application/json", 400, "user_id"),
        (
            #"{"auth_requirement":{"provider_id":"fake"},"user_id":"u","next_uri":"https://evil.example/"}"#, "application/json",
            400, "next_uri"
        ),
        // An allowed address with a line break (it would land in the callback's Location header).
        (
            #"{"auth_requirement":{"provider_id":"fake"},"user_id":"u","next_uri":"http://127.0.0.1:3000/x\r\nSet-Cookie: a=1"}"#,
            "application/json", 400, "next_uri"
        ),
        (#"{"auth_requirement":{"provider_id":"fake"},"user_id":"u"}"#, "text/plain", 415, "application/json"),
    ])
    func badAuthorizeBodies(json: String, contentType: String, status: Int, mention: String) async throws {
        try await APIHarness.run { api in
            try await api.createProvider()
            let response = try await api.call(.post, "/v1/auth/authorize", json: json, contentType: contentType)
            #expect(response.status.code == status)
            #expect((try api.object(response)["message"] as? String ?? "").contains(mention), "\(String(buffer: response.body))")
            #expect(try api.object(try await api.call(.get, "/v1/admin/user_connections"))["total_count"] as? Int == 0)
        }
    }

    @Test func oversizedBodiesGet413() async throws {
        try await APIHarness.run { api in
            let big = #"{"user_id":""# + String(repeating: "x", count: 70_000) + #""}"#
            let response = try await api.call(.post, "/v1/auth/authorize", json: big)
            #expect(response.status == .contentTooLarge)
            // The server keeps serving.
            #expect(try await api.call(.get, "/v1/health", authorization: nil).status == .ok)
        }
    }

    @Test func nextURIIsHonouredAfterTheCallback() async throws {
        try await APIHarness.run { api in
            try await api.createProvider()
            let response = try await api.call(
                .post, "/v1/auth/authorize",
                json: #"{"auth_requirement":{"provider_id":"fake"},"user_id":"gina","next_uri":"http://127.0.0.1:3000/done"}"#)
            let page = try await api.callback(for: try api.object(response))
            #expect(page.status == .seeOther)
            #expect(page.headers[.location] == "http://127.0.0.1:3000/done")
        }
    }
}
