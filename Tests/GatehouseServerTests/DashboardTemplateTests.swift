import Foundation
import GatehouseCore
import GatehouseSQLite
import GatehouseTestSupport
import HTTPTypes
import HummingbirdTesting
import Logging
import Testing

@testable import GatehouseServer

/// Custom providers in the dashboard: added with a template of the operator's own, and any
/// provider's template edited whole, with the API's rules and error messages.
@Suite struct DashboardTemplateTests {
    static let template = """
        {"authorize_request": {"endpoint": "https://hooli.example/authorize",
          "params": {"audience": "all", "client_id": "{{client_id}}", "redirect_uri": "{{redirect_uri}}",
                     "response_type": "code", "scope": "{{scopes}}"}},
         "token_request": {"endpoint": "https://hooli.example/token", "auth_method": "client_secret_basic",
          "params": {"grant_type": "authorization_code", "redirect_uri": "{{redirect_uri}}"}}}
        """

    /// A signed-in browser that added the custom provider `hooli` (`template`) through the form.
    static func browserWithHooli(_ api: APIHarness) async throws -> DashboardTests.Browser {
        let browser = try await DashboardTests.browser(api)
        let added = try await browser.post(
            "/dashboard/providers",
            ["kind": "custom", "id": "hooli", "client_id": "cid", "client_secret": "csecret", "oauth2": template])
        #expect(added.status == .seeOther, "\(String(buffer: added.body))")
        return browser
    }

    func oauth2(_ api: APIHarness) async throws -> [String: Any] {
        try #require(try api.object(try await api.call(.get, "/v1/admin/auth_providers/hooli"))["oauth2"] as? [String: Any])
    }

    func params(_ oauth2: [String: Any]) -> [String: Any] {
        (oauth2["authorize_request"] as? [String: Any])?["params"] as? [String: Any] ?? [:]
    }

    @Test func aCustomProviderIsAddedAndItsTemplateEditedWhole() async throws {
        try await APIHarness.run { api in
            let browser = try await Self.browserWithHooli(api)
            #expect(params(try await oauth2(api))["audience"] as? String == "all")
            let pending = try await api.authorize(user: "u", provider: "hooli")
            #expect((pending["url"] as? String)?.hasPrefix("https://hooli.example/authorize?") == true)

            // The page shows the template to edit, without the secret.
            let page = String(buffer: try await browser.get("/dashboard/providers/hooli").body)
            #expect(page.contains("<textarea name=\"oauth2\"") && page.contains("hooli.example/token"))
            #expect(!page.contains("csecret"))
            // No description: an empty field (it printed "nil", which a save then stored), and
            // the template named as custom.
            #expect(page.contains(#"name="description" value="""#) && page.contains("Built-in template: none (custom)"))

            // What the text leaves out is removed; what it changes is changed; the rest stays.
            var edited = Self.template.replacingOccurrences(of: #""audience": "all", "#, with: "")
            edited = edited.replacingOccurrences(
                of: #"{"authorize_request""#, with: #"{"scope_delimiter": ",", "authorize_request""#)
            let saved = try await browser.post("/dashboard/providers/hooli", ["client_id": "cid", "oauth2": edited])
            #expect(saved.status == .seeOther, "\(String(buffer: saved.body))")
            let after = try await oauth2(api)
            #expect(params(after)["audience"] == nil && after["scope_delimiter"] as? String == ",")
            #expect(after["client_id"] as? String == "cid")
            #expect((after["client_secret"] as? [String: Any])?["exists"] as? Bool == true, "\(after)")
        }
    }

    @Test(arguments: [
        ("{not json", "not valid JSON"), ("[1]", "must be a JSON object"),
        (#"{"token_request": 5}"#, "oauth2.token_request"),
        (template.replacingOccurrences(of: "hooli.example/token", with: "elsewhere.example/token"), "moves to another host"),
        (template.replacingOccurrences(of: "https://hooli.example/token", with: "http://hooli.example/token"), "https"),
    ])
    func aBadEditIsNamedAndChangesNothing(text: String, says: String) async throws {
        try await APIHarness.run { api in
            let browser = try await Self.browserWithHooli(api)
            let before = try await oauth2(api) as NSDictionary
            let refused = try await browser.post("/dashboard/providers/hooli", ["client_id": "cid", "oauth2": text])
            #expect(refused.status == .badRequest)
            #expect(String(buffer: refused.body).contains(says), "\(String(buffer: refused.body))")
            #expect(try await oauth2(api) as NSDictionary == before)
        }
    }

    @Test(arguments: [
        (["oauth2": #"{"authorize_request": {"endpoint": "https://hooli.example/a"}}"#], "oauth2.token_request is required"),
        (["oauth2": "nope"], "not valid JSON"),
        (["id": "", "oauth2": template], "missing required field"),
    ])
    func aBadCustomProviderIsNamedAndNothingIsStored(fields: [String: String], says: String) async throws {
        try await APIHarness.run { api in
            let browser = try await DashboardTests.browser(api)
            let form = ["kind": "custom", "id": "hooli", "client_id": "cid"].merging(fields) { _, given in given }
            let refused = try await browser.post("/dashboard/providers", form)
            #expect(refused.status == .badRequest)
            #expect(String(buffer: refused.body).contains(says), "\(String(buffer: refused.body))")
            let list = try api.object(try await api.call(.get, "/v1/admin/auth_providers"))
            #expect(list["total_count"] as? Int == 0)
        }
    }
}

extension DashboardTemplateTests {
    /// The page answers with the status the API gives the same refusal: a 409 for a provider
    /// whose connections would go elsewhere (it said 400 for every refusal).
    @Test func anEditRefusedForItsConnectionsIsAConflictAsInTheAPI() async throws {
        try await APIHarness.run { api in
            let browser = try await Self.browserWithHooli(api)
            let store = try await SQLiteStore.open(path: api.configuration.databasePath, logger: Logger(label: "test"))
            _ = try await store.upsertConnection(
                Connection(
                    id: "uc_1", userID: "u", providerID: "hooli", scopes: [], sealedTokens: [1, 2, 3], expiresAt: Date(),
                    userInfo: nil, status: .active, authID: "ac_1", createdAt: Date(), updatedAt: Date()))
            try await store.close()
            let moved = Self.template.replacingOccurrences(of: "hooli.example/token", with: "elsewhere.example/token")
            let refused = try await browser.post(
                "/dashboard/providers/hooli", ["client_id": "cid", "client_secret": "csecret", "oauth2": moved])
            #expect(refused.status == .conflict)
            #expect(String(buffer: refused.body).contains("delete its connections first"), "\(String(buffer: refused.body))")
            #expect(try await oauth2(api)["token_request"].map { "\($0)" }?.contains("hooli.example/token") == true)
        }
    }
}
