import Foundation
import GatehouseCore
import GatehouseTestSupport
import HTTPTypes
import HummingbirdTesting
import NIOCore
import Testing

@testable import GatehouseServer

// The keys and verification pages.
extension DashboardTests {
    @Test func keysAreMadeOnceAndRevokedAndFlowsAreListed() async throws {
        try await APIHarness.run { api in
            try await api.createProvider()
            let pending = try await api.authorize(user: "carol")
            let browser = try await Self.browser(api)
            let flows = String(buffer: try await browser.get("/dashboard/flows").body)
            #expect(flows.contains(try #require(pending["id"] as? String)) && flows.contains("carol"))

            let made = String(buffer: try await browser.post("/dashboard/keys", ["name": "worker", "role": "app"]).body)
            let start = try #require(made.range(of: #"value="arc_"#))
            let key = "arc_" + String(made[start.upperBound...].prefix { $0 != "\"" })
            #expect(try await api.call(.get, "/v1/auth/status?id=x", authorization: key).status == .notFound)
            #expect(!String(buffer: try await browser.get("/dashboard/keys").body).contains(key))
            // A reload sends the form again: it makes no second key.
            let resent = try await browser.post("/dashboard/keys", ["name": "worker", "role": "app"])
            #expect(resent.status == .conflict && String(buffer: resent.body).contains("no second key was made"))
            let listed = String(buffer: try await browser.get("/dashboard/keys").body)
            #expect(listed.components(separatedBy: "<td>worker</td>").count == 2, "one key named worker")

            let id = String(SecretHash.hex(key).prefix(12))
            // The first post asks, naming the key; only the confirmation revokes.
            let asked = try await browser.post("/dashboard/keys/\(id)/revoke")
            #expect(asked.status == .ok && String(buffer: asked.body).contains("Revoke key \(id)?"))
            #expect(String(buffer: asked.body).contains("<strong>worker</strong>"))
            #expect(try await api.call(.get, "/v1/auth/status?id=x", authorization: key).status == .notFound)
            let revoked = try await browser.post("/dashboard/keys/\(id)/revoke", ["confirm": "yes"])
            #expect(revoked.headers[.location] == "/dashboard/keys?done=revoked")
            // Revoked again (a second tab): it says so.
            let again = try await browser.post("/dashboard/keys/\(id)/revoke", ["confirm": "yes"])
            #expect(again.headers[.location] == "/dashboard/keys?done=key-gone")
            // At once on the replica that revoked it (the key was just used, so it was cached).
            #expect(try await api.call(.get, "/v1/auth/status?id=x", authorization: key).status == .unauthorized)
            // The only admin key is not revoked: nothing could sign in again.
            let own = String(SecretHash.hex(api.key).prefix(12))
            let last = try await browser.post("/dashboard/keys/\(own)/revoke", ["confirm": "yes"])
            #expect(last.status == .conflict && String(buffer: last.body).contains("is the only admin key"))
            // Its button says so rather than offering a click that is refused.
            let only = String(buffer: try await browser.get("/dashboard/keys").body)
            #expect(only.contains(#"<button class="danger" disabled aria-label="Revoke key \#(own)"#), "\(only)")
            #expect(only.contains("the only admin key: create another first"))
            // With another admin key, the session's own may go: the page warns, and the sign-in
            // page says what happened.
            _ = try await api.makeKey(role: .admin)
            let two = String(buffer: try await browser.get("/dashboard/keys").body)
            #expect(!two.contains("disabled") && two.contains(#"action="/dashboard/keys/\#(own)/revoke""#))
            let warned = String(buffer: try await browser.post("/dashboard/keys/\(own)/revoke").body)
            #expect(warned.contains("This is the key this session signed in with"))
            let gone = try await browser.post("/dashboard/keys/\(own)/revoke", ["confirm": "yes"])
            #expect(gone.headers[.location] == "/dashboard/sign-in?reason=revoked")
            let signIn = String(buffer: try await api.client.execute(uri: "/dashboard/sign-in?reason=revoked", method: .get).body)
            #expect(signIn.contains("You revoked the key this session signed in with"))
            #expect(try await browser.get("/dashboard/keys").headers[.location]?.hasPrefix("/dashboard/sign-in?") == true)
        }
    }

    /// The CLI's rule: a name with a terminal escape would run in `gatehouse keys list`.
    @Test(arguments: ["", "   ", String(repeating: "n", count: 101), "red\u{1B}[31m", "a\u{85}b", "tab\there"])
    func aKeyNameThatIsNotPlainTextIsRefusedAndNoKeyIsMade(name: String) async throws {
        try await APIHarness.run { api in
            let browser = try await Self.browser(api)
            func rows() async throws -> Int {
                String(buffer: try await browser.get("/dashboard/keys").body).components(separatedBy: "<tr").count
            }
            let before = try await rows()
            let refused = try await browser.post("/dashboard/keys", ["name": name, "role": "app"])
            #expect(refused.status == .badRequest && String(buffer: refused.body).contains("no control characters"))
            #expect(!String(buffer: refused.body).contains(#"value="arc_"#))
            #expect(try await rows() == before)
            #expect(APIKeyName.validated(name) == nil)
            // The same post with a plain name makes one: the count above would have seen it.
            #expect(try await browser.post("/dashboard/keys", ["name": "plain", "role": "app"]).status == .ok)
            #expect(try await rows() == before + 1)
        }
    }

    @Test func aKeyNameIsStoredTrimmed() {
        #expect(APIKeyName.validated("  worker  ") == "worker")
        #expect(APIKeyName.validated("Ünïcode ok") == "Ünïcode ok")
    }

    @Test func theVerificationSettingIsChangedHere() async throws {
        try await APIHarness.run { api in
            let browser = try await Self.browser(api)
            let saved = try await browser.post("/dashboard/verification", ["verifier_url": "http://127.0.0.1:4000/verify"])
            #expect(saved.status == .seeOther)
            let view = try api.object(try await api.call(.get, "/v1/admin/settings/session_verification"))
            #expect(view["verifier_url"] as? String == "http://127.0.0.1:4000/verify")
            #expect(view["unsafe_skip_verification"] as? Bool == false)
            let bad = try await browser.post("/dashboard/verification", ["verifier_url": "https://evil.example/v"])
            #expect(bad.status == .badRequest)
            // The refused URL stays in the field to be corrected, beside where a verifier may be
            // and how to allow another origin.
            let page = String(buffer: bad.body)
            #expect(page.contains(#"value="https://evil.example/v""#))
            #expect(page.contains("on an origin the config file allows in <code>auth.allowed_redirect_origins</code>: <code>"))
            #expect(
                page.contains("To add your app&#39;s, list its origin there")
                    || page.contains("To add your app's, list its origin there"))
            let kept = try api.object(try await api.call(.get, "/v1/admin/settings/session_verification"))
            #expect(kept["verifier_url"] as? String == "http://127.0.0.1:4000/verify")
        }
    }
}

// Sign-in during a flood of wrong keys.
extension DashboardTests {
    @Test func aSignInDuringAFloodOfWrongKeysIsToldSoOnThePageAndAKnownKeyGoesOn() async throws {
        try await APIHarness.run(configure: {
            $0.limits.unknownKeyReadsPerSecond = 0.001
            $0.limits.unknownKeyBurst = 20
        }) { api in
            var refused: TestResponse?
            for n in 0..<40 {
                let answer = try await Self.signIn(api, key: "arc_wrong_\(n)")
                if answer.status == .tooManyRequests {
                    refused = answer
                    break
                }
                #expect(answer.status == .unauthorized)
            }
            let page = try #require(refused)
            #expect(page.headers[.contentType]?.hasPrefix("text/html") == true)
            #expect(String(buffer: page.body).contains("Too many wrong keys reach this server just now"))
            #expect(page.headers[.retryAfter] == "1")
            // The admin key exists in the store: known, so read whatever the budget says, also
            // on its first use.
            #expect(try await Self.signIn(api, key: api.key).status == .seeOther)
        }
    }
}
