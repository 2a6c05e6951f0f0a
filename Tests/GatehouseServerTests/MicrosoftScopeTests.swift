import Foundation
import GatehouseCore
import GatehouseTestSupport
import Testing

/// Microsoft Entra answers permission names in its own case and does not always name the
/// scopes the template adds to every consent (`offline_access` never, `email` at times). A tool
/// that asks for `mail.read`, `email` or `offline_access` is covered by the grant it just made,
/// and still after a refresh; a permission the answer does not name is not.
@Suite struct MicrosoftScopeTests {
    /// Entra's token endpoint as far as these tests need it: numbered tokens that live
    /// `lifetime` seconds, the permission in its own case, without `email` or `offline_access`.
    static func entra(lifetime: Int) -> (ScriptedTransport, ScriptedTokenEndpoint.Grants) {
        ScriptedTokenEndpoint.make(
            tokenURL: "https://login.microsoftonline.com/common/oauth2/v2.0/token", scope: "Mail.Read User.Read profile openid",
            lifetime: lifetime)
    }

    static let asked = ["mail.read", "email", "offline_access"]

    @Test func aScopeEntraAnswersInItsOwnCaseOrLeavesOutIsCovered() async throws {
        let (transport, grants) = Self.entra(lifetime: 3600)
        try await APIHarness.run(transport: transport) { api in
            try await api.createBuiltIn("microsoft")
            let pending = try await api.authorize(user: "alice", scopes: Self.asked, provider: "microsoft")
            #expect(pending["status"] as? String == "pending")
            #expect(try await api.callback(for: pending, provider: "microsoft").status == .ok)
            // Later, in any case; and the scopes every consent grants, whether asked before or not.
            for scopes in [Self.asked, ["Mail.Read"], ["MAIL.READ", "user.read"], ["openid", "profile", "OFFLINE_ACCESS"]] {
                let again = try await api.authorize(user: "alice", scopes: scopes, provider: "microsoft")
                #expect(again["status"] as? String == "completed", "\(scopes): \(again)")
            }
            // A permission the answer does not name was not granted.
            let more = try await api.authorize(user: "alice", scopes: ["Mail.Send"], provider: "microsoft")
            #expect(more["status"] as? String == "pending")
            #expect(grants.count.withLock { $0 } == 1)
        }
    }

    @Test func aRefreshKeepsThemGranted() async throws {
        // Tokens that live 0 s: every read refreshes.
        let (transport, grants) = Self.entra(lifetime: 0)
        try await APIHarness.run(transport: transport) { api in
            try await api.createBuiltIn("microsoft")
            let pending = try await api.authorize(user: "alice", scopes: Self.asked, provider: "microsoft")
            #expect(try await api.callback(for: pending, provider: "microsoft").status == .ok)
            for round in 2...3 {
                let refreshed = try await api.authorize(user: "alice", scopes: Self.asked, provider: "microsoft")
                #expect(refreshed["status"] as? String == "completed", "\(refreshed)")
                #expect(grants.count.withLock { $0 } == round, "the read refreshed")
            }
        }
    }
}
