import Foundation
import GatehouseCore
import GatehouseWire
import Hummingbird

// Providers: list, add from the built-in catalogue, edit, enable or disable, remove.
extension DashboardRoutes {
    func addProviderRoutes(to routes: RouteCollection<GatehouseRequestContext>) {
        routes.get("/dashboard/providers") { request, _ in
            try await page(request) { try await providersPage($0, extra: ["notice": Self.notice(request) as Any]) }
        }
        routes.post("/dashboard/providers") { request, _ in
            try await form(request) { session, fields in
                let template = fields["template"] ?? ""
                let body = AuthProviderRequest(
                    id: Self.nonEmpty(fields["id"]) ?? template, providerID: template,
                    clientID: Self.nonEmpty(fields["client_id"]),
                    clientSecret: Self.nonEmpty(fields["client_secret"]), tenant: Self.nonEmpty(fields["tenant"]))
                return try await changing(session, done: "added") { _ = try await providers.create(body, source: .api) }
            }
        }
        routes.get("/dashboard/providers/:id") { request, context in
            let id = try context.parameters.require("id")
            return try await page(request) { session in
                guard let provider = try await providers.configured(id: id) else {
                    return DashboardPages.redirect("/dashboard/providers")
                }
                return pages.render("provider", pageContext(session, nav: "providers", ["provider": row(provider, session)]))
            }
        }
        routes.post("/dashboard/providers/:id") { request, context in
            let id = try context.parameters.require("id")
            return try await form(request) { session, fields in
                var changes: [String: JSONValue] = [
                    "description": Self.nonEmpty(fields["description"]).map(JSONValue.string) ?? .null
                ]
                if let clientID = Self.nonEmpty(fields["client_id"]) { changes["client_id"] = .string(clientID) }
                if let secret = Self.nonEmpty(fields["client_secret"]) { changes["client_secret"] = .string(secret) }
                return try await change(id, changes, session: session, done: "saved")
            }
        }
        for (action, enabled) in [("enable", true), ("disable", false)] {
            routes.post("/dashboard/providers/:id/\(action)") { request, context in
                let id = try context.parameters.require("id")
                return try await form(request) { session, _ in
                    try await change(id, ["enabled": .bool(enabled)], session: session, done: "\(action)d")
                }
            }
        }
        routes.post("/dashboard/providers/:id/delete") { request, context in
            let id = try context.parameters.require("id")
            return try await form(request) { session, _ in
                try await changing(session, done: "removed") { _ = try await providers.delete(id: id) }
            }
        }
    }

    private func change(_ id: String, _ changes: [String: JSONValue], session: Session, done: String) async throws -> Response {
        try await changing(session, done: done) {
            let patch = try JSONDecoder().decode(ProviderPatch.self, from: JSONEncoder().encode(JSONValue.object(changes)))
            _ = try await providers.patch(id: id, with: patch)
        }
    }

    /// Runs a change, then back to the list with `done`; an error that is the operator's to fix
    /// is shown on the providers page instead (ours go to the error middleware).
    private func changing(_ session: Session, done: String, _ body: () async throws -> Void) async throws -> Response {
        do {
            try await body()
        } catch let error as GatehouseError where error.code != .internalError && error.code != .storeUnavailable {
            return try await providersPage(session, extra: ["error": error.message], status: .badRequest)
        }
        return DashboardPages.redirect("/dashboard/providers?done=\(done)")
    }

    private func providersPage(_ session: Session, extra: [String: Any], status: HTTPResponse.Status = .ok) async throws
        -> Response
    {
        let rows = try await providers.all().map { row($0, session) }
        return pages.render(
            "providers",
            pageContext(
                session, nav: "providers",
                extra.merging([
                    "providers": rows, "catalogue": catalog.entries.keys.sorted(), "publicURL": settings.publicURL,
                ]) { first, _ in first }),
            status: status)
    }

    private func row(_ provider: Provider, _ session: Session) -> [String: Any] {
        [
            "id": provider.id, "description": provider.description as Any, "template": provider.providerType,
            "status": provider.enabled ? "active" : "disabled", "fromConfig": provider.source == .config,
            "toggle": provider.enabled ? "disable" : "enable", "toggleLabel": provider.enabled ? "Disable" : "Enable",
            "redirectURI": settings.redirectURI(providerID: provider.id), "csrf": session.csrf,
            "clientID": provider.oauth2.clientID ?? "", "secretHint": ProviderRegistry.hint(for: provider.clientSecret) as Any,
        ]
    }
}
