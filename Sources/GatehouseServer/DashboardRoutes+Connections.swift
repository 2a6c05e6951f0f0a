import Foundation
import GatehouseCore
import Hummingbird

// Connections (search by user or provider, paged; delete) and flows in progress.
extension DashboardRoutes {
    static let pageSize = 25
    /// The flows the flows page lists, newest first.
    static let flowsShown = 100

    func addConnectionRoutes(to routes: RouteCollection<GatehouseRequestContext>) {
        routes.get("/dashboard/connections") { request, _ in
            try await page(request) { session in
                let query = request.uri.queryParameters
                let user = Self.nonEmpty(query["user"].map(String.init))
                let provider = Self.nonEmpty(query["provider"].map(String.init))
                let number = max(1, query["page"].flatMap { Int(String($0)) } ?? 1)
                let found = try await store.connections(
                    ConnectionQuery(
                        userID: user, providerID: provider, limit: Self.pageSize,
                        offset: min(number - 1, 1_000_000) * Self.pageSize))
                let pages = max(1, (found.total + Self.pageSize - 1) / Self.pageSize)
                func link(_ target: Int) -> String {
                    "/dashboard/connections?"
                        + FormEncoding.encode(["user": user ?? "", "provider": provider ?? "", "page": "\(target)"])
                }
                // Past the last page (the list shrank, or a link was edited): the last page.
                if number > pages { return DashboardPages.redirect(link(pages)) }
                let rows: [[String: Any]] = found.items.map {
                    [
                        "id": $0.id, "userID": $0.userID, "providerID": $0.providerID, "status": $0.status.rawValue,
                        "scopes": $0.scopes.joined(separator: " "), "updated": $0.updatedAt.iso8601, "csrf": session.csrf,
                        // Where a delete comes back to: this search, this page.
                        "back": FormEncoding.encode(["user": user ?? "", "provider": provider ?? "", "page": "\(number)"]),
                    ]
                }
                return self.pages.render(
                    "connections",
                    pageContext(
                        session, nav: "connections",
                        [
                            "connections": rows, "user": user ?? "", "provider": provider ?? "",
                            "totalCounted": Self.counted(found.total, "connection"),
                            "searched": user != nil || provider != nil,
                            "page": number, "pages": pages > 1 ? pages as Any : false, "notice": Self.notice(request) as Any,
                            "previous": (number > 1 ? link(number - 1) : nil) as Any,
                            "next": (number < pages ? link(number + 1) : nil) as Any,
                        ]))
            }
        }
        // A delete asks first, naming the user and the provider: the user must consent again.
        routes.post("/dashboard/connections/:id/delete") { request, context in
            let id = try context.parameters.require("id")
            return try await form(request, context) { session, fields in
                // Back to the search it came from (only its own fields are taken from the form).
                let back = FormEncoding.decode(fields["back"] ?? "").filter { ["user", "provider", "page"].contains($0.key) }
                func done(_ done: String) -> Response {
                    DashboardPages.redirect(
                        "/dashboard/connections?" + FormEncoding.encode(back.merging(["done": done]) { $1 }))
                }
                guard fields["confirm"] == "yes" else {
                    // Deleted meanwhile (another tab, the API): nothing to ask about.
                    guard let connection = try await store.connection(id: id) else { return done("gone") }
                    let revokes = try await broker.deletionRevokes(connection)
                    return pages.render(
                        "connection-delete",
                        pageContext(
                            session, nav: "connections",
                            [
                                "id": id, "userID": connection.userID, "providerID": connection.providerID,
                                "back": FormEncoding.encode(back), "revokes": revokes,
                            ]))
                }
                guard
                    let deleted = try await audit.attempt(
                        .connectionDeleted, target: id, context: context, { try await broker.disconnect(id: id) })
                else { return done("gone") }
                audit.deleted(connection: id, of: deleted.providerID, deleted.outcome, context: context)
                switch deleted.outcome {
                case .notFound: return done("gone")
                case .deleted: return done("deleted")
                case .revoked: return done("deleted-revoked")
                case .notRevoked: return done("deleted-not-revoked")
                case .revocationPending: return done("deleted-revocation-pending")
                }
            }
        }
        routes.get("/dashboard/flows") { request, _ in
            try await page(request) { session in
                // One more than shown: whether the list stops short is said, not left to guess.
                let open = try await store.openFlows(now: now(), limit: Self.flowsShown + 1)
                let rows: [[String: Any]] = open.prefix(Self.flowsShown).map {
                    [
                        "id": $0.id, "userID": $0.userID, "providerID": $0.providerID,
                        "scopes": $0.authorizeScopes.joined(separator: " "), "created": $0.createdAt.iso8601,
                        "expires": $0.expiresAt.iso8601,
                        "stage": $0.sealedTokens == nil ? "consent at the provider" : "user verification",
                    ]
                }
                return pages.render(
                    "flows",
                    pageContext(
                        session, nav: "flows",
                        ["flows": rows, "more": (open.count > Self.flowsShown ? Self.flowsShown : nil) as Any]))
            }
        }
    }
}
