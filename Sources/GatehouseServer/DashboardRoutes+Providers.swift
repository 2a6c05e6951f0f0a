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
        routes.post("/dashboard/providers") { request, context in
            try await form(request, context) { session, fields in
                // Refused: the page again, with what was typed (the secret apart) kept.
                try await changing(
                    session, done: "added",
                    failed: {
                        try await providersPage(
                            session, extra: ["typed": Self.typed(fields)], refusing: Self.inFormWords($0, fields))
                    }
                ) {
                    let request = try Self.newProvider(fields)
                    let provider = try await audit.attempt(.providerCreated, target: request.id, context: context) {
                        try await providers.create(request, source: .api)
                    }
                    audit.record(.providerCreated, target: provider.id, context: context)
                }
            }
        }
        routes.get("/dashboard/providers/:id") { request, context in
            let id = try context.parameters.require("id")
            return try await page(request) { session in
                try await providerPage(id, session, notice: Self.notice(request))
            }
        }
        routes.post("/dashboard/providers/:id") { request, context in
            let id = try context.parameters.require("id")
            return try await form(request, context) { session, fields in
                try await change(
                    id, session: session, context: context, done: "saved",
                    failed: { try await providerPage(id, session, error: $0, typed: fields) }
                ) {
                    // The form sends every field back: only what differs is changed (and recorded).
                    let current = try await providers.configured(id: id)
                    var changes: [String: JSONValue] = [:]
                    let description = Self.nonEmpty(fields["description"])
                    if description != current?.description { changes["description"] = description.map(JSONValue.string) ?? .null }
                    if let clientID = Self.nonEmpty(fields["client_id"]), clientID != current?.clientID {
                        changes["client_id"] = .string(clientID)
                    }
                    if let secret = Self.nonEmpty(fields["client_secret"]) { changes["client_secret"] = .string(secret) }
                    // The text is the whole template: what it leaves out is removed.
                    if let text = fields["oauth2"], let current {
                        let patch = try ProviderTemplateText.fields(of: current.oauth2)
                            .mergePatch(to: .object(try ProviderTemplateText.parse(text)))
                        if patch != .object([:]) { changes["oauth2"] = patch }
                    }
                    return changes
                }
            }
        }
        for (action, enabled) in [("enable", true), ("disable", false)] {
            routes.post("/dashboard/providers/:id/\(action)") { request, context in
                let id = try context.parameters.require("id")
                return try await form(request, context) { session, _ in
                    try await change(id, session: session, context: context, done: "\(action)d") {
                        ["enabled": .bool(enabled)]
                    }
                }
            }
        }
        // Removing a provider deletes every connection made through it: the first post asks,
        // naming how many; the confirmation's post removes.
        routes.post("/dashboard/providers/:id/delete") { request, context in
            let id = try context.parameters.require("id")
            return try await form(request, context) { session, fields in
                guard fields["confirm"] == "yes" else {
                    guard let provider = try await providers.configured(id: id) else {
                        return try await providersPage(
                            session, extra: [:], refusing: .providerNotFound(id))
                    }
                    let held = try await store.connections(ConnectionQuery(providerID: id, limit: 1)).total
                    return pages.render(
                        "provider-remove",
                        pageContext(
                            session, nav: "providers",
                            [
                                "id": id, "connections": held > 0,
                                "connectionsSaid": held == 1 ? "Its one user connection is" : "Its \(held) user connections are",
                                "connectionsCounted": Self.counted(held, "connection"),
                                // As the delete decides.
                                "revokes": RevocationOrder.destination(retiring: id, provider.oauth2) != nil,
                            ]))
                }
                return try await changing(session, done: "removed") {
                    _ = try await audit.attempt(.providerDeleted, target: id, context: context) {
                        try await providers.delete(id: id)
                    }
                    audit.record(.providerDeleted, target: id, context: context)
                }
            }
        }
    }

    /// A provider's page; after a refused edit, with the error and what was typed (the secret
    /// apart) in place of what is stored.
    private func providerPage(
        _ id: String, _ session: Session, error: GatehouseError? = nil, typed: [String: String] = [:], notice: String? = nil
    )
        async throws -> Response
    {
        guard let provider = try await providers.configured(id: id) else {
            return try await providersPage(
                session, extra: [:], refusing: .providerNotFound(id))
        }
        var shown = row(provider, session)
        shown["templateJSON"] = try ProviderTemplateText.text(of: provider.oauth2)
        if error != nil {
            shown["descriptionText"] = typed["description"] ?? ""
            shown["clientID"] = typed["client_id"] ?? ""
            shown["templateJSON"] = typed["oauth2"] ?? shown["templateJSON"]
            // A new secret typed with the refused edit was not saved, and is not sent back: the
            // field says so, where it would read as keeping the stored one.
            shown["secretRetype"] = Self.nonEmpty(typed["client_secret"]) != nil
        }
        return pages.render(
            "provider",
            pageContext(
                session, nav: "providers", ["provider": shown, "error": error?.message as Any, "notice": notice as Any]),
            status: error?.status ?? .ok)
    }

    /// The API's refusal in the add form's words where they differ: the form has a field, not
    /// `oauth2.client_secret`, and no way to add a provider disabled.
    static func inFormWords(_ error: GatehouseError, _ fields: [String: String]) -> GatehouseError {
        guard error.message.hasPrefix(ProviderRegistry.clientSecretRequired), nonEmpty(fields["client_secret"]) == nil else {
            return error
        }
        let name = fields["kind"] == "custom" ? "This provider" : "The \(fields["template"] ?? "") template"
        return GatehouseError(
            error.code,
            "\(name) needs a client secret: its token request sends it. Type it in Client secret (from the provider's developer console)."
        )
    }

    /// What the add forms had typed, to fill them again (never the secret).
    private static func typed(_ fields: [String: String]) -> [String: Any] {
        var typed: [String: Any] = [:]
        for key in ["id", "description", "client_id", "tenant", "oauth2", "template"] { typed[key] = fields[key] ?? "" }
        typed[fields["kind"] == "custom" ? "custom" : "builtIn"] = true
        return typed
    }

    /// Patches a provider with what `changes` makes (inside `changing`, so that a template the
    /// operator got wrong is shown on the page).
    private func change(
        _ id: String, session: Session, context: GatehouseRequestContext, done: String,
        failed: ((GatehouseError) async throws -> Response)? = nil, _ changes: () async throws -> [String: JSONValue]
    ) async throws -> Response {
        // A form sent as the provider is (a save with nothing edited) stays on its page, saying
        // so, rather than "Saved." for a change that was not made.
        var unchanged = false
        let response = try await changing(session, done: done, failed: failed) {
            let changes = try await changes()
            guard !changes.isEmpty else {
                unchanged = true
                return
            }
            let patch = try ProviderTemplateText.decode(ProviderPatch.self, from: changes)
            let provider = try await audit.attempt(.providerChanged, target: id, context: context) {
                try await providers.patch(id: id, with: patch)
            }
            audit.changed(provider: id, by: patch, now: provider.id, context: context)
        }
        return unchanged ? DashboardPages.redirect("/dashboard/providers/\(id)?done=unchanged") : response
    }

    /// The add form's provider: a built-in template with credentials, or (`kind=custom`) a
    /// template of the operator's own.
    private static func newProvider(_ fields: [String: String]) throws -> AuthProviderRequest {
        guard fields["kind"] == "custom" else {
            let template = fields["template"] ?? ""
            return AuthProviderRequest(
                id: nonEmpty(fields["id"]) ?? template, providerID: template, clientID: nonEmpty(fields["client_id"]),
                clientSecret: nonEmpty(fields["client_secret"]), tenant: nonEmpty(fields["tenant"]))
        }
        guard let id = nonEmpty(fields["id"]) else { throw GatehouseError.invalid("missing required field 'id'") }
        var oauth2 = try ProviderTemplateText.parse(fields["oauth2"] ?? "")
        oauth2["client_id"] = nonEmpty(fields["client_id"]).map(JSONValue.string)
        oauth2["client_secret"] = nonEmpty(fields["client_secret"]).map(JSONValue.string)
        var document: [String: JSONValue] = ["id": .string(id), "oauth2": .object(oauth2)]
        document["description"] = nonEmpty(fields["description"]).map(JSONValue.string)
        return try ProviderTemplateText.decode(AuthProviderRequest.self, from: document)
    }

    /// Runs a change, then back to the list with `done`; an error that is the operator's to fix
    /// is shown by `failed` (the providers page unless given) instead (ours go to the error
    /// middleware).
    private func changing(
        _ session: Session, done: String, failed: ((GatehouseError) async throws -> Response)? = nil,
        _ body: () async throws -> Void
    ) async throws -> Response {
        do {
            try await body()
        } catch let error as GatehouseError where error.code != .internalError && error.code != .storeUnavailable {
            // The status the API gives the same error (a 409 for a provider with connections).
            if let failed { return try await failed(error) }
            return try await providersPage(session, extra: [:], refusing: error)
        }
        return DashboardPages.redirect("/dashboard/providers?done=\(done)")
    }

    private func providersPage(_ session: Session, extra: [String: Any], refusing refusal: GatehouseError? = nil)
        async throws -> Response
    {
        let all = try await providers.all()
        // The deleted connections' grants still to be revoked (`RevocationRetrier`), by provider
        // id as the gauges count them: a deleted provider's under the id it had.
        let backlog = try await store.revocationBacklog()
        let time = now()
        let rows = all.map { provider in
            row(provider, session).merging(["waiting": backlog[provider.id].map { Self.waiting($0, now: time) } as Any]) {
                _, new in new
            }
        }
        let ids = Set(all.map(\.id))
        let deleted = backlog.filter { !ids.contains($0.key) }.sorted { $0.key < $1.key }.map { id, waiting in
            ["id": id, "waiting": Self.waiting(waiting, now: time)]
        }
        return pages.render(
            "providers",
            pageContext(
                session, nav: "providers",
                extra.merging([
                    "providers": rows, "hasProviders": !rows.isEmpty, "deletedWaiting": deleted,
                    "hasDeletedWaiting": !deleted.isEmpty,
                    "catalogue": catalog.entries.keys.sorted().map { name -> [String: Any] in
                        ["name": name, "selected": (extra["typed"] as? [String: Any])?["template"] as? String == name]
                    },
                    "publicURL": settings.publicURL,
                    "customExample": ProviderTemplateText.example,
                ]) { first, _ in first }),
            refusing: refusal)
    }

    /// "3 grants waiting to be revoked, the oldest deleted 2 h ago".
    static func waiting(_ backlog: RevocationBacklog, now: Date) -> String {
        let seconds = max(0, Int(now.timeIntervalSince(backlog.oldest)))
        let age =
            switch seconds {
            case ..<90: "\(seconds) s"
            case ..<(90 * 60): "\(seconds / 60) min"
            case ..<(48 * 3600): "\(seconds / 3600) h"
            default: "\(seconds / 86_400) days"
            }
        let grants = backlog.count == 1 ? "1 grant" : "\(backlog.count) grants"
        return "\(grants) waiting to be revoked, the oldest deleted \(age) ago"
    }

    private func row(_ provider: Provider, _ session: Session) -> [String: Any] {
        [
            // The input's value is text: an absent description would print as "nil".
            "id": provider.id, "description": provider.description as Any, "descriptionText": provider.description ?? "",
            "template": provider.providerType.isEmpty ? "none (custom)" : provider.providerType,
            "status": provider.enabled ? "active" : "disabled", "fromConfig": provider.source == .config,
            "toggle": provider.enabled ? "disable" : "enable", "toggleLabel": provider.enabled ? "Disable" : "Enable",
            "toggleHint": provider.enabled
                ? "Stops its authorizations and token hand-outs at once; its connections are kept until it is enabled again"
                : "Its authorizations and token hand-outs start again, with the connections it kept",
            "redirectURI": settings.redirectURI(providerID: provider.id), "csrf": session.csrf,
            "clientID": provider.oauth2.clientID ?? "", "secretHint": ProviderRegistry.hint(for: provider.clientSecret) as Any,
        ]
    }
}
