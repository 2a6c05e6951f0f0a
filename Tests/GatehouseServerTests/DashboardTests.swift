import Foundation
import GatehouseCore
import GatehouseTestSupport
import HTTPTypes
import HummingbirdTesting
import NIOCore
import Testing

@testable import GatehouseServer

/// The admin dashboard through the real composition root: sign-in, the session cookie, CSRF on
/// every form, and what each page changes.
@Suite struct DashboardTests {
    /// A signed-in browser: the session cookie, and the CSRF token its pages carry.
    struct Browser {
        let api: APIHarness
        let cookie: String

        func get(_ path: String) async throws -> TestResponse {
            try await api.client.execute(uri: path, method: .get, headers: [.cookie: cookie])
        }

        /// Posts a form with the page's CSRF token unless `csrf` is given.
        func post(_ path: String, _ fields: [String: String] = [:], csrf: String? = nil) async throws -> TestResponse {
            var form = fields
            if let csrf { form["csrf"] = csrf } else { form["csrf"] = try await token() }
            return try await api.client.execute(
                uri: path, method: .post,
                headers: [.cookie: cookie, .contentType: "application/x-www-form-urlencoded"],
                body: ByteBuffer(string: FormEncoding.encode(form)))
        }

        func token() async throws -> String {
            let html = String(buffer: try await get("/dashboard/keys").body)
            let start = try #require(html.range(of: #"name="csrf" value=""#))
            return String(html[start.upperBound...].prefix { $0 != "\"" })
        }
    }

    static func signIn(_ api: APIHarness, key: String) async throws -> TestResponse {
        try await api.client.execute(
            uri: "/dashboard/sign-in", method: .post, headers: [.contentType: "application/x-www-form-urlencoded"],
            body: ByteBuffer(string: FormEncoding.encode(["key": key])))
    }

    static func browser(_ api: APIHarness) async throws -> Browser {
        let answer = try await signIn(api, key: api.key)
        #expect(answer.status == .seeOther && answer.headers[.location]?.hasPrefix("/dashboard/providers?signed-in=") == true)
        let setCookie = try #require(answer.headers[.setCookie])
        return Browser(api: api, cookie: String(setCookie.prefix { $0 != ";" }))
    }

    @Test func signingInNeedsAnAdminKeyAndSetsAStrictCookie() async throws {
        try await APIHarness.run { api in
            let anonymous = try await api.client.execute(uri: "/dashboard/providers", method: .get)
            // Without a cookie, no word of a session that ended; the page is where a sign-in returns.
            #expect(
                anonymous.status == .seeOther
                    && anonymous.headers[.location] == "/dashboard/sign-in?next=%2Fdashboard%2Fproviders")
            // Right after a sign-in, a browser that did not send the cookie back is told so; the
            // same address opened later goes to the sign-in page as any other.
            let signedIn = Int(Date().timeIntervalSince1970)
            let lost = try await api.client.execute(uri: "/dashboard/providers?signed-in=\(signedIn)", method: .get)
            #expect(lost.status == .unauthorized)
            #expect(String(buffer: lost.body).contains("You signed in, but this browser did not send the session back."))
            let later = try await api.client.execute(uri: "/dashboard/providers?signed-in=\(signedIn - 3600)", method: .get)
            #expect(later.status == .seeOther && later.headers[.location]?.hasPrefix("/dashboard/sign-in?next=") == true)
            let wrong = try await Self.signIn(api, key: "arc_nope")
            #expect(wrong.status == .unauthorized)
            #expect(String(buffer: wrong.body).contains("That is not an API key of this server: check that it was copied whole."))
            let app = try await Self.signIn(api, key: try await api.makeKey(role: .app))
            #expect(app.status == .unauthorized)
            #expect(String(buffer: app.body).contains("That is an app key: the dashboard needs a key with the admin role."))
            // Where an admin key comes from, for whoever missed the first start's.
            #expect(String(buffer: app.body).contains("<code>gatehouse keys create --role admin</code> makes another"))
            // A form larger than the dashboard takes is refused as such, not as a server error.
            let large = try await api.client.execute(
                uri: "/dashboard/sign-in", method: .post, headers: [.contentType: "application/x-www-form-urlencoded"],
                body: ByteBuffer(string: "key=" + String(repeating: "a", count: 70_000)))
            #expect(large.status == .contentTooLarge && large.headers[.contentType] == "text/html; charset=utf-8")
            #expect(String(buffer: large.body).contains("the request body is larger than this route takes"))

            let answer = try await Self.signIn(api, key: api.key)
            let setCookie = try #require(answer.headers[.setCookie])
            for attribute in ["HttpOnly", "SameSite=Strict", "Path=/dashboard", "Max-Age=28800"] {
                #expect(setCookie.contains(attribute), "\(attribute)")
            }
            // The public URL is loopback here; anywhere else the cookie is Secure.
            #expect(!setCookie.contains("Secure"))
            #expect(!setCookie.contains(api.key))
            let browser = try await Self.browser(api)
            for (path, heading) in [
                ("/dashboard/providers", "Providers"), ("/dashboard/connections", "Connections"),
                ("/dashboard/flows", "Flows in progress"), ("/dashboard/keys", "API keys"),
                ("/dashboard/verification", "User verification"),
            ] {
                let page = try await browser.get(path)
                #expect(page.status == .ok && String(buffer: page.body).contains("<h1>\(heading)</h1>"), "\(path)")
                #expect(page.headers[.contentSecurityPolicy]?.contains("default-src 'none'") == true)
                #expect(page.headers[.contentSecurityPolicy]?.contains("form-action 'self'") == true)
                // Not `no-referrer`, under which a form posted here carries `Origin: null`.
                #expect(page.headers[HTTPField.Name("Referrer-Policy")!] == "same-origin")
            }
            // A cookie changed anywhere is no session: a later end, another key id, another signature.
            let parts = browser.cookie.split(separator: ".").map(String.init)
            let expiry = try #require(Int(parts[1]))
            let name = DashboardSessions.cookieName
            for forged in [
                [parts[0], "\(expiry + 86_400)", parts[2], parts[3]], ["\(name)=aaaaaaaaaaaa", parts[1], parts[2], parts[3]],
                [parts[0], parts[1], parts[2], String(parts[3].reversed())],
                [parts[0], parts[1], parts[2], String(parts[3].dropLast()) + (parts[3].hasSuffix("A") ? "B" : "A")],
            ] {
                let forgedBrowser = Browser(api: api, cookie: forged.joined(separator: "."))
                #expect(try await forgedBrowser.get("/dashboard/keys").status == .seeOther, "\(forged)")
            }
            // Signing out ends it in the browser, and on the server: a copy of the cookie signs
            // nobody in, while another session of the same key goes on.
            let other = try await Self.browser(api)
            let out = try await browser.post("/dashboard/sign-out")
            #expect(out.status == .seeOther && out.headers[.setCookie]?.contains("Max-Age=0") == true)
            #expect(try await browser.get("/dashboard/keys").status == .seeOther)
            #expect(
                try await browser.post("/dashboard/sign-out", csrf: "any").headers[.location]
                    == "/dashboard/sign-in?reason=signed-out")
            #expect(try await other.get("/dashboard/keys").status == .ok)
        }
    }

    // A value that is not there is left out of the page, not printed as "nil" (Mustache takes a
    // boxed nil for a value and shows the section it guards).
    @Test func noPageShowsAnAbsentValue() async throws {
        try await APIHarness.run { api in
            try await api.createProvider()
            _ = try await api.completedToken(user: "alice")
            let browser = try await Self.browser(api)
            for path in [
                "/dashboard/providers", "/dashboard/providers/fake", "/dashboard/connections", "/dashboard/flows",
                "/dashboard/keys", "/dashboard/verification",
            ] {
                let page = try await browser.get(path)
                #expect(page.status == .ok, "\(path)")
                let html = String(buffer: page.body)
                #expect(!html.contains(">nil<") && !html.contains("\"nil\"") && !html.contains("<code>nil</code>"), "\(path)")
                #expect(!html.contains(#"class="notice""#), "\(path): a notice nobody asked for")
            }
            // Without an OpenID Provider the verification page is the form that changes the setting.
            let verification = String(buffer: try await browser.get("/dashboard/verification").body)
            #expect(verification.contains(#"name="verifier_url""#) && !verification.contains("OpenID Provider"))
            // One page of connections: no links to other pages.
            #expect(!String(buffer: try await browser.get("/dashboard/connections").body).contains("Previous"))
        }
    }

    @Test func theRenderLeavesOutAbsentValuesAtAnyDepth() {
        let absent: String? = nil
        let present: String? = "x"
        let cleaned = DashboardPages.withoutAbsentValues([
            "a": absent as Any, "b": present as Any, "rows": [["c": absent as Any, "d": 1]], "list": [absent as Any, "y"],
        ])
        #expect(cleaned["a"] == nil && cleaned["b"] as? String == "x")
        let row = (cleaned["rows"] as? [Any])?.first as? [String: Any]
        #expect(row?["c"] == nil && row?["d"] as? Int == 1)
        #expect((cleaned["list"] as? [Any])?.count == 1)
    }

    @Test func aFormWithoutTheSessionsTokenIsRefused() async throws {
        try await APIHarness.run { api in
            try await api.createProvider()
            _ = try await api.completedToken(user: "alice")
            let browser = try await Self.browser(api)
            let id = try #require(
                (try api.object(try await api.call(.get, "/v1/admin/user_connections"))["items"] as? [[String: Any]])?.first?[
                    "id"]
                    as? String)
            for csrf in ["", "forged", try await Self.browser(api).token()] {
                let refused = try await browser.post("/dashboard/connections/\(id)/delete", csrf: csrf)
                #expect(refused.status == .forbidden, "csrf '\(csrf)'")
            }
            #expect(try api.object(try await api.call(.get, "/v1/admin/user_connections"))["total_count"] as? Int == 1)
        }
    }

    @Test func deletingAConnectionMakesTheNextAuthorizationPending() async throws {
        try await APIHarness.run { api in
            try await api.createProvider()
            _ = try await api.completedToken(user: "alice")
            _ = try await api.completedToken(user: "bob")
            let browser = try await Self.browser(api)
            // Ids match whole: a part of one finds nothing, and the page says why.
            let part = String(buffer: try await browser.get("/dashboard/connections?user=ali").body)
            #expect(part.contains("No connection has exactly this user id and provider id."))
            let found = String(buffer: try await browser.get("/dashboard/connections?user=alice").body)
            #expect(found.contains("<p>1 connection.</p>") && found.contains("alice") && !found.contains("bob"))
            let start = try #require(found.range(of: "/dashboard/connections/"))
            let id = String(found[start.upperBound...].prefix { $0 != "/" })
            // The first post asks, naming the user and the provider; only the confirmation deletes.
            let asked = try await browser.post("/dashboard/connections/\(id)/delete")
            #expect(
                asked.status == .ok && String(buffer: asked.body).contains("<h1>Delete alice")
                    && String(buffer: asked.body).contains("connection with fake?"), "\(String(buffer: asked.body))")
            #expect(try await api.authorize(user: "alice")["status"] as? String == "completed")
            let deleted = try await browser.post("/dashboard/connections/\(id)/delete", ["confirm": "yes"])
            #expect(deleted.status == .seeOther && deleted.headers[.location] == "/dashboard/connections?done=deleted")
            #expect(try await api.authorize(user: "alice")["status"] as? String == "pending")
            #expect(try await api.authorize(user: "bob")["status"] as? String == "completed")
            // Deleted again (a second tab): it says nothing was there, not that it deleted it.
            let again = try await browser.post("/dashboard/connections/\(id)/delete")
            #expect(again.headers[.location] == "/dashboard/connections?done=gone")
            let notice = String(buffer: try await browser.get("/dashboard/connections?done=gone").body)
            #expect(notice.contains("No such connection: it was already deleted."))
            // A delete comes back to the search it was made from; a page past the end goes to the last.
            #expect(found.contains(#"name="back" value="page=1&amp;provider=&amp;user=alice""#))
            let back = try await browser.post("/dashboard/connections/\(id)/delete", ["back": "user=alice&page=1&evil=x"])
            let location = back.headers[.location] ?? ""
            #expect(location.contains("user=alice") && location.contains("done=gone") && !location.contains("evil"))
            let past = try await browser.get("/dashboard/connections?user=bob&page=9")
            #expect(past.status == .seeOther && past.headers[.location]?.contains("page=1") == true)
        }
    }

    @Test func aBuiltInProviderIsAddedDisabledAndRemoved() async throws {
        try await APIHarness.run { api in
            let browser = try await Self.browser(api)
            let added = try await browser.post(
                "/dashboard/providers", ["template": "github", "id": "gh", "client_id": "cid", "client_secret": "csecret"])
            #expect(added.status == .seeOther)
            let page = String(buffer: try await browser.get("/dashboard/providers?done=added").body)
            #expect(
                page.contains("Provider added: register its redirect URI")
                    && page.contains("\(api.configuration.effectivePublicURL)/v1/oauth/gh/callback"))
            #expect(!page.contains("csecret"))
            #expect(page.contains(#"title="Stops its authorizations and token hand-outs at once; its connections are kept"#))
            #expect(page.contains("Disable stops a provider's authorizations and token hand-outs at once"))
            let provider = try api.object(try await api.call(.get, "/v1/admin/auth_providers/gh"))
            #expect(provider["provider_id"] as? String == "github" && provider["status"] as? String == "active")

            #expect(try await browser.post("/dashboard/providers/gh/disable").status == .seeOther)
            #expect(try api.object(try await api.call(.get, "/v1/admin/auth_providers/gh"))["status"] as? String == "inactive")
            // Text is escaped wherever it is shown.
            #expect(
                try await browser.post("/dashboard/providers/gh", ["description": "<script>x</script>", "client_id": "cid"])
                    .status == .seeOther)
            let edited = String(buffer: try await browser.get("/dashboard/providers").body)
            #expect(edited.contains("&lt;script&gt;") && !edited.contains("<script>"))
            // The same form again changes nothing, and says so on the provider's page.
            let same = try await browser.post(
                "/dashboard/providers/gh", ["description": "<script>x</script>", "client_id": "cid"])
            #expect(same.headers[.location] == "/dashboard/providers/gh?done=unchanged")
            #expect(
                String(buffer: try await browser.get("/dashboard/providers/gh?done=unchanged").body).contains("Nothing to save"))
            // A built-in provider without its secret: said in the form's words.
            let secretless = try await browser.post(
                "/dashboard/providers", ["template": "github", "id": "gh2", "client_id": "c"])
            #expect(secretless.status == .badRequest)
            #expect(String(buffer: secretless.body).contains("The github template needs a client secret"))
            #expect(!String(buffer: secretless.body).contains("oauth2.client_secret"))
            // A bad template is named, and nothing is stored.
            let bad = try await browser.post("/dashboard/providers", ["template": "nope", "client_id": "x"])
            #expect(bad.status == .badRequest && String(buffer: bad.body).contains("nope"))
            // Removing asks first; the confirmation removes.
            let asked = try await browser.post("/dashboard/providers/gh/delete")
            #expect(asked.status == .ok && String(buffer: asked.body).contains("No user has connected through it."))
            #expect(try await api.call(.get, "/v1/admin/auth_providers/gh").status == .ok)
            #expect(try await browser.post("/dashboard/providers/gh/delete", ["confirm": "yes"]).status == .seeOther)
            #expect(try await api.call(.get, "/v1/admin/auth_providers/gh").status == .notFound)
        }
    }

    @Test func removingAProviderNamesTheConnectionsItEnds() async throws {
        try await APIHarness.run { api in
            try await api.createProvider()
            for user in ["alice", "bob"] { _ = try await api.completedToken(user: user) }
            let browser = try await Self.browser(api)
            let asked = String(buffer: try await browser.post("/dashboard/providers/fake/delete").body)
            #expect(asked.contains("Its 2 user connections are deleted with it"))
            #expect(asked.contains("Remove fake and 2 connections"))
            #expect(asked.contains("fake's template has no revocation request, so their grants stay valid at the provider"))
            #expect(try await api.authorize(user: "alice")["status"] as? String == "completed", "nothing removed yet")
            #expect(try await browser.post("/dashboard/providers/fake/delete", ["confirm": "yes"]).status == .seeOther)
            let left = try api.object(try await api.call(.get, "/v1/admin/user_connections?provider_id=fake"))
            #expect(left["total_count"] as? Int == 0)
        }
    }

}
