import Foundation
import GatehouseCore
import HTTPTypes
import Hummingbird

/// `/dashboard`: the operator's pages, signed in with an admin API key. Every page needs a
/// session; every form post needs the session's CSRF token as well.
struct DashboardRoutes: Sendable {
    let sessions: DashboardSessions
    let pages: DashboardPages
    let providers: ProviderRegistry
    let catalog: ProviderCatalog
    let store: any Store
    let keys: APIKeyService
    let verification: VerificationSettingsService
    let settings: BrokerSettings
    /// Deletes connections (and revokes their grants at the provider).
    let broker: AuthBroker
    /// Where each change and sign-in is recorded.
    let audit: AuditTrail
    let now: @Sendable () -> Date

    typealias Session = DashboardSessions.Session

    /// The routes, at the root.
    var collection: RouteCollection<GatehouseRequestContext> {
        let routes = RouteCollection(context: GatehouseRequestContext.self)
        routes.get("/dashboard") { request, _ in
            DashboardPages.redirect(try await signedIn(request) == nil ? "/dashboard/sign-in" : "/dashboard/providers")
        }
        routes.get("/dashboard/sign-in") { request, _ in
            let query = request.uri.queryParameters
            var context: [String: Any] = ["next": Self.returnPath(query["next"].map(String.init)) ?? ""]
            switch query["reason"].map(String.init) {
            case "ended":
                context["error"] =
                    "Your session ended (a session lasts \(Int(DashboardSessions.lifetime / 3600)) hours, and ends when it is signed out or its key revoked). Sign in again."
            case "unsaved":
                context["error"] =
                    "Your session ended before that form was sent, so nothing was changed. Sign in again and make the change again."
            case "revoked":
                context["error"] =
                    "You revoked the key this session signed in with. Sign in with another admin key; on the server, gatehouse keys create --role admin makes one."
            case "signed-out": context["notice"] = "You are signed out."
            default: break
            }
            return pages.render("sign-in", context)
        }
        routes.post("/dashboard/sign-in") { request, context in try await signIn(request, context) }
        routes.post("/dashboard/sign-out") { request, context in try await signOut(request, context) }
        addProviderRoutes(to: routes)
        addConnectionRoutes(to: routes)
        addKeyRoutes(to: routes)
        return routes
    }

    private func signIn(_ request: Request, _ context: GatehouseRequestContext) async throws -> Response {
        if let reason = CrossSiteFormCheck(publicURL: settings.publicURL).crossSite(
            request.headers, authority: request.head.authority)
        {
            audit.refusedSignIn("cross_site", context: context)
            return pages.render(
                "sign-in", [:],
                refusing: GatehouseError(
                    .forbidden, "This sign-in was sent from another site (\(reason)), so it was refused. Sign in on this page."))
        }
        let fields = try await Self.fields(request)
        // A refused sign-in keeps the page to return to.
        let returning: [String: Any] = ["next": Self.returnPath(fields["next"]) ?? ""]
        var found: AuthenticatedKey?
        do {
            if let key = fields["key"] { found = try await keys.authenticate(key) }
        } catch var error as GatehouseError where error.code == .rateLimited {
            // A flood of wrong keys (`UnknownKeyBudget`): said on the page, not as JSON.
            error.message = "Too many wrong keys reach this server just now; wait a moment and try again."
            audit.refusedSignIn("rate_limited", context: context)
            return pages.render("sign-in", returning, refusing: error)
        }
        guard let found, found.role == .admin else {
            audit.refusedSignIn(found == nil ? "not_a_key" : "not_admin", keyID: found?.id, context: context)
            // Who holds an app key learns nothing from being told so, and stops looking for a typo.
            let said =
                found == nil
                ? "That is not an API key of this server: check that it was copied whole."
                : "That is an app key: the dashboard needs a key with the admin role."
            return pages.render("sign-in", returning, refusing: GatehouseError(.unauthenticated, said))
        }
        let cookie = sessions.issue(keyID: found.id, now: now())
        context.notes.keyID = found.id
        audit.record(.signedIn, target: nil, context: context)
        // Back to the page that sent here. Marked with the time, so that a browser that does
        // not send the cookie back at once is told why (and the same address opened later is not).
        let next = Self.returnPath(fields["next"]) ?? "/dashboard/providers"
        return DashboardPages.redirect(
            next + (next.contains("?") ? "&" : "?") + "signed-in=\(Int(now().timeIntervalSince1970))",
            headers: [.setCookie: sessions.setCookie(cookie)])
    }

    /// The request's path and query without the mark of an earlier sign-in (`signed-in`): the
    /// next sign-in adds its own.
    private static func withoutSignInMark(_ request: Request) -> String {
        var parameters = request.uri.queryParameters.map { (String($0.key), String($0.value)) }
        parameters.removeAll { $0.0 == "signed-in" }
        guard !parameters.isEmpty else { return request.uri.path }
        return request.uri.path + "?" + FormEncoding.encode(Dictionary(parameters) { first, _ in first })
    }

    /// A dashboard page to go back to after signing in: a path of this dashboard only, never
    /// another site (`//host`, `/\host`) nor the sign-in page itself.
    static func returnPath(_ given: String?) -> String? {
        guard let given, given.hasPrefix("/dashboard/"), !given.hasPrefix("/dashboard/sign-"), given.count <= 2048,
            !given.contains("//"), !given.contains("\\"), !given.unicodeScalars.contains(where: { $0.value < 0x21 })
        else { return nil }
        return given
    }

    /// The sign-in page for a request without a session, saying why: a page asked with a
    /// session that ended, or a form that was not saved (whether or not the browser still held
    /// the cookie, which it drops when it lapses); and the page to come back to.
    private func signInAgain(_ request: Request, lost reason: String) -> Response {
        var query: [String: String] = [:]
        if request.method != .get || Self.cookie(request) != nil { query["reason"] = reason }
        if request.method == .get, let back = Self.returnPath(Self.withoutSignInMark(request)) { query["next"] = back }
        return DashboardPages.redirect("/dashboard/sign-in" + (query.isEmpty ? "" : "?" + FormEncoding.encode(query)))
    }

    /// Whether `request` follows a sign-in of the last minute without its cookie.
    private func cookieLost(_ request: Request) -> Bool {
        guard Self.cookie(request) == nil, let mark = request.uri.queryParameters["signed-in"].flatMap({ Double(String($0)) })
        else { return false }
        return (0...60).contains(now().timeIntervalSince1970 - mark)
    }

    /// The page after a sign-in whose cookie did not come back: a `Secure` cookie on a plain
    /// http address (the public URL is https), or a browser that blocks cookies. Without it the
    /// sign-in page came back with no word.
    private func cookieNotReturned() -> Response {
        let why =
            !sessions.secure
            ? "It may block cookies for this site."
            : settings.publicURL.hasPrefix("https://")
                ? "Its cookie is Secure because the public URL (\(settings.publicURL)) is https, and a browser returns such a cookie only over https: open the dashboard at \(settings.publicURL)/dashboard."
                : "Its cookie is Secure, and a browser keeps such a cookie only over https, but the public URL (\(settings.publicURL)) is plain http: serve Gatehouse behind TLS and set api.public_url to its https:// address."
        return pages.render(
            "sign-in", [:],
            refusing: GatehouseError(.unauthenticated, "You signed in, but this browser did not send the session back. \(why)"))
    }

    /// Ends the session on every replica (`Store.endDashboardSession`) and in this browser; while
    /// the database cannot be reached, in this browser only, and the page says so.
    private func signOut(_ request: Request, _ context: GatehouseRequestContext) async throws -> Response {
        // No cookie, nothing to clear: a form posted from another site, which a `SameSite=Strict`
        // cookie does not accompany, changes nothing.
        guard let cookie = Self.cookie(request) else { return DashboardPages.redirect("/dashboard/sign-in") }
        let signedOut = DashboardPages.redirect(
            "/dashboard/sign-in?reason=signed-out", headers: [.setCookie: sessions.clearCookie])
        // The cookie and the form token are checked without the store.
        guard let session = sessions.session(cookie: cookie, now: now()) else { return signedOut }
        guard sessions.accepts(csrf: try await Self.fields(request)["csrf"], for: session) else {
            return try await signedIn(request) == nil ? signedOut : Self.expiredForm()
        }
        context.notes.keyID = session.keyID
        do {
            try await store.endDashboardSession(session.id, until: session.expiresAt)
        } catch let error as GatehouseError where error.code == .storeUnavailable {
            var page = HTMLPage.page(
                status: error.status, title: "Signed out of this browser only",
                message:
                    "This browser no longer holds the session, but the server could not reach its database to record the sign-out: a copy of the session's cookie would still be accepted until it lapses at \(session.expiresAt.iso8601). If a copy may exist, revoke the admin key it was signed in with once the database is back.",
                reference: RequestCorrelation.id)
            page.headers[.setCookie] = sessions.clearCookie
            audit.record(.signedOut, target: nil, context: context, detail: ["ended": "this_browser_only"])
            return page
        }
        audit.record(.signedOut, target: nil, context: context)
        return signedOut
    }

    /// The dashboard cookie's value, as sent.
    private static func cookie(_ request: Request) -> String? {
        let cookies = request.headers[values: .cookie].flatMap { $0.split(separator: ";") }
        return cookies.lazy.map({ $0.trimmingCharacters(in: .whitespaces) })
            .first(where: { $0.hasPrefix(DashboardSessions.cookieName + "=") })
            .map { String($0.dropFirst(DashboardSessions.cookieName.count + 1)) }
    }

    /// The session of a request: its cookie's signature holds, it has neither lapsed nor been
    /// signed out, and the admin key it names still exists.
    func signedIn(_ request: Request) async throws -> Session? {
        guard let session = Self.cookie(request).flatMap({ sessions.session(cookie: $0, now: now()) }) else { return nil }
        guard try await store.apiKeys().contains(where: { $0.id == session.keyID && $0.role == .admin }),
            try await !store.dashboardSessionEnded(session.id)
        else { return nil }
        return session
    }

    /// A page for a signed-in operator; anyone else goes to the sign-in page.
    func page(_ request: Request, _ body: (Session) async throws -> Response) async throws -> Response {
        guard let session = try await signedIn(request) else {
            if cookieLost(request) { return cookieNotReturned() }
            return signInAgain(request, lost: "ended")
        }
        // The sign-in's mark has done its work once the cookie came back: off the address, so
        // that a bookmark or a copied link does not carry it.
        if request.uri.queryParameters["signed-in"] != nil { return DashboardPages.redirect(Self.withoutSignInMark(request)) }
        return try await body(session)
    }

    /// A form post from a signed-in operator carrying the session's CSRF token; its fields go to
    /// `body`. The request line names the session's key.
    func form(
        _ request: Request, _ context: GatehouseRequestContext, _ body: (Session, [String: String]) async throws -> Response
    ) async throws -> Response {
        guard let session = try await signedIn(request) else { return signInAgain(request, lost: "unsaved") }
        context.notes.keyID = session.keyID
        let fields = try await Self.fields(request)
        guard sessions.accepts(csrf: fields["csrf"], for: session) else { return Self.expiredForm() }
        return try await body(session, fields)
    }

    /// A form whose CSRF token is not the session's.
    static func expiredForm() -> Response {
        HTMLPage.page(
            status: HTTPErrorMapping.status(for: .forbidden), title: "This form has expired",
            message: "The form was not sent from this dashboard's current page. Go back, reload the page and try again.",
            reference: RequestCorrelation.id, back: ("/dashboard", "Back to the dashboard"))
    }

    /// What every signed-in page shows: the menu, with `nav` marked, and the CSRF token.
    func pageContext(_ session: Session, nav: String, _ extra: [String: Any]) -> [String: Any] {
        extra.merging(["signedIn": true, "csrf": session.csrf, "nav": [nav: true]]) { first, _ in first }
    }

    /// The message for a `?done=` after a change.
    static func notice(_ request: Request) -> String? {
        switch request.uri.queryParameters["done"].map(String.init) {
        case "added": "Provider added: register its redirect URI (below) at the provider, if you have not yet."
        case "saved": "Saved."
        case "unchanged": "Nothing to save: the form was as the provider is."
        case "enabled": "Provider enabled."
        case "disabled":
            "Provider disabled: it starts no authorizations and hands out no tokens; its connections are kept for when it is enabled again."
        case "removed":
            "Provider removed, and its users' connections, if it had any. Where its template can revoke grants, Gatehouse asks the provider to revoke theirs in the background, and logs the outcome."
        case "deleted": "Connection deleted: the next authorization for that user starts a new consent."
        case "deleted-revoked": "Connection deleted and its grant revoked at the provider."
        case "deleted-not-revoked":
            "Connection deleted, but the provider did not revoke its grant (the server's log says why): end it at the provider if it must end now."
        case "deleted-revocation-pending":
            "Connection deleted, but the provider could not revoke its grant just now (the server's log says why): Gatehouse tries again, and logs the outcome."
        case "gone": "No such connection: it was already deleted."
        case "revoked": "Key revoked."
        case "key-gone": "No such key: it was already revoked."
        default: nil
        }
    }

    /// `1 connection`, `2 connections`: a count with its noun.
    static func counted(_ count: Int, _ noun: String) -> String {
        "\(count) \(noun)\(count == 1 ? "" : "s")"
    }

    static func fields(_ request: Request) async throws -> [String: String] {
        let body = try await request.body.collect(upTo: 65_536)
        return FormEncoding.decode(String(buffer: body))
    }

    static func nonEmpty(_ text: String?) -> String? {
        guard let text = text?.trimmingCharacters(in: .whitespaces), !text.isEmpty else { return nil }
        return text
    }
}
