import Foundation
import GatehouseCore
import GatehouseTestSupport
import Testing

/// Google answers `email` and `profile` as `…/auth/userinfo.email` and `…/auth/userinfo.profile`
/// (its token answer's `scope`). A tool that asks for the short names is covered by the grant
/// it just made, and still after a refresh; a scope the answer names by no name is not.
@Suite struct ScopeAliasTests {
    static let answered =
        "openid https://www.googleapis.com/auth/userinfo.email https://www.googleapis.com/auth/userinfo.profile https://www.googleapis.com/auth/gmail.readonly"

    /// Google's token endpoint as far as these tests need it: numbered tokens that live
    /// `lifetime` seconds, with the long names in `scope`.
    static func google(lifetime: Int) -> (ScriptedTransport, ScriptedTokenEndpoint.Grants) {
        ScriptedTokenEndpoint.make(tokenURL: "https://oauth2.googleapis.com/token", scope: answered, lifetime: lifetime)
    }

    @Test func aScopeGoogleAnswersByItsLongNameIsCovered() async throws {
        let (transport, grants) = Self.google(lifetime: 3600)
        try await APIHarness.run(transport: transport) { api in
            try await api.createBuiltIn("google")
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
            try await api.createBuiltIn("google")
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
