import Foundation
import GatehouseCore
import GatehouseTestSupport
import Synchronization
import Testing

/// Google answers `email` and `profile` as `…/auth/userinfo.email` and `…/auth/userinfo.profile`
/// (its token answer's `scope`). A tool that asks for the short names is covered by the grant
/// it just made, and still after a refresh; a scope the answer names by no name is not.
@Suite struct ScopeAliasTests {
    /// How many grants the token endpoint answered.
    final class Grants: Sendable {
        let count = Mutex(0)
    }

    static let answered =
        "openid https://www.googleapis.com/auth/userinfo.email https://www.googleapis.com/auth/userinfo.profile https://www.googleapis.com/auth/gmail.readonly"

    /// Google's token endpoint as far as these tests need it: numbered tokens that live
    /// `lifetime` seconds, with the long names in `scope`.
    static func google(lifetime: Int) -> (ScriptedTransport, Grants) {
        let transport = ScriptedTransport()
        let grants = Grants()
        transport.respond { request in
            guard request.url.hasPrefix("https://oauth2.googleapis.com/token") else {
                return ScriptedTransport.json(200, #"{"sub":"42","email":"alice@example.com"}"#)
            }
            let n = grants.count.withLock { count in
                count += 1
                return count
            }
            return ScriptedTransport.json(
                200,
                #"{"access_token":"at-\#(n)","refresh_token":"rt","expires_in":\#(lifetime),"token_type":"Bearer","scope":"\#(answered)"}"#
            )
        }
        return (transport, grants)
    }

    @Test func aScopeGoogleAnswersByItsLongNameIsCovered() async throws {
        let (transport, grants) = Self.google(lifetime: 3600)
        try await APIHarness.run(transport: transport) { api in
            try await api.createGoogle()
            let asked = ["email", "profile", "https://www.googleapis.com/auth/gmail.readonly"]
            let pending = try await api.authorize(user: "alice", scopes: asked, provider: "google")
            #expect(pending["status"] as? String == "pending")
            #expect(try await api.callback(for: pending, provider: "google").status == .ok)
            let again = try await api.authorize(user: "alice", scopes: ["email", "profile"], provider: "google")
            #expect(again["status"] as? String == "completed", "\(again)")
            // Asked for by no name in the answer: not granted.
            let more = try await api.authorize(
                user: "alice", scopes: ["https://www.googleapis.com/auth/gmail.send"], provider: "google")
            #expect(more["status"] as? String == "pending")
            #expect(grants.count.withLock { $0 } == 1)
        }
    }

    @Test func aRefreshKeepsTheShortNamesGranted() async throws {
        // Tokens that live 0 s: every read refreshes.
        let (transport, grants) = Self.google(lifetime: 0)
        try await APIHarness.run(transport: transport) { api in
            try await api.createGoogle()
            let pending = try await api.authorize(user: "alice", scopes: ["email"], provider: "google")
            #expect(try await api.callback(for: pending, provider: "google").status == .ok)
            let refreshed = try await api.authorize(user: "alice", scopes: ["email"], provider: "google")
            #expect(refreshed["status"] as? String == "completed", "\(refreshed)")
            #expect(grants.count.withLock { $0 } == 2, "the read refreshed")
            let after = try await api.authorize(user: "alice", scopes: ["email"], provider: "google")
            #expect(after["status"] as? String == "completed", "\(after)")
            #expect(grants.count.withLock { $0 } == 3)
        }
    }
}

extension APIHarness {
    /// The built-in `google` provider, with made-up credentials.
    fileprivate func createGoogle() async throws {
        let created = try await call(
            .post, "/v1/admin/auth_providers",
            json: #"{"id":"google","provider_id":"google","oauth2":{"client_id":"g","client_secret":"s"}}"#)
        #expect(created.status == .ok, "\(String(buffer: created.body))")
    }
}
