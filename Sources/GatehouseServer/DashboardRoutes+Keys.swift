import Foundation
import GatehouseCore
import GatehouseWire
import Hummingbird

// API keys (create with a role, revoke) and the user-verification setting.
extension DashboardRoutes {
    func addKeyRoutes(to routes: RouteCollection<GatehouseRequestContext>) {
        routes.get("/dashboard/keys") { request, _ in
            try await page(request) { try await keysPage($0, extra: ["notice": Self.notice(request) as Any]) }
        }
        routes.post("/dashboard/keys") { request, context in
            try await form(request, context) { session, fields in
                guard let name = APIKeyName.validated(fields["name"] ?? ""), let role = APIKeyRole(rawValue: fields["role"] ?? "")
                else {
                    return try await keysPage(
                        session, extra: [:],
                        refusing: .invalid("A key needs a name (up to 100 characters, no control characters) and a role."))
                }
                // A reload of the answer below sends the form again: a key of the same name made a
                // minute ago is taken as that, not as a wish for a second key nobody sees.
                let recent = now().addingTimeInterval(-60)
                if try await store.apiKeys().contains(where: { $0.name == name && $0.createdAt > recent }) {
                    return try await keysPage(
                        session, extra: [:],
                        refusing: GatehouseError(
                            .conflict,
                            "A key named '\(name)' was made less than a minute ago and shown once then; this looks like the form sent again, so no second key was made. To make another, give it another name."
                        ))
                }
                // Shown on this answer only: it is not stored anywhere it could be shown again.
                let key = try await audit.attempt(.keyCreated, target: nil, context: context) {
                    try await keys.create(name: name, role: role)
                }
                audit.record(
                    .keyCreated, target: APIKeyRecord.id(of: key), context: context,
                    detail: ["name": .string(name), "role": .string(role.rawValue)])
                return try await keysPage(
                    session, extra: ["newKey": key, "newKeyName": name, "newKeyRole": role.rawValue], showingKey: true)
            }
        }
        // Revoking asks first, naming the key; the last admin key is not revoked here (nothing
        // would sign in again: `gatehouse keys` on the server is the way back, and says so).
        routes.post("/dashboard/keys/:id/revoke") { request, context in
            let id = try context.parameters.require("id")
            return try await form(request, context) { session, fields in
                let all = try await store.apiKeys()
                guard id.count == 12, let key = all.first(where: { $0.id == id }) else {
                    return DashboardPages.redirect("/dashboard/keys?done=key-gone")
                }
                let lastAdmin = {
                    try await keysPage(
                        session, extra: [:],
                        refusing: GatehouseError(
                            .conflict,
                            "Key \(id) (\(key.name)) is the only admin key: revoked, it would leave no way into this dashboard or the admin API. Create another admin key first."
                        ))
                }
                if key.role == .admin, !all.contains(where: { $0.role == .admin && $0.id != id }) { return try await lastAdmin() }
                let own = id == session.keyID
                guard fields["confirm"] == "yes" else {
                    return pages.render(
                        "key-revoke",
                        pageContext(
                            session, nav: "keys",
                            ["id": id, "name": key.name, "role": key.role.rawValue, "own": own, "admin": key.role == .admin]))
                }
                // Checked again where it is decided: another tab may have revoked the other admin key.
                let removing = try await audit.attempt(.keyRevoked, target: id, context: context) {
                    try await store.deleteAPIKeys(hashPrefix: id, keepingAnAdmin: true)
                }
                guard let removed = removing else {
                    return try await lastAdmin()
                }
                guard removed > 0 else { return DashboardPages.redirect("/dashboard/keys?done=key-gone") }
                audit.record(
                    .keyRevoked, target: id, context: context,
                    detail: ["name": .string(key.name), "role": .string(key.role.rawValue)])
                // Every replica drops its cached keys at once (or within the cache's second, when
                // the others cannot be told: the key is revoked either way).
                keys.forgetAll()
                try? await store.publish(.apiKeys)
                // The session went with its key: the sign-in page says why.
                if own { return DashboardPages.redirect("/dashboard/sign-in?reason=revoked") }
                return DashboardPages.redirect("/dashboard/keys?done=revoked")
            }
        }
        routes.get("/dashboard/verification") { request, _ in
            try await page(request) { try await verificationPage($0, extra: ["notice": Self.notice(request) as Any]) }
        }
        routes.post("/dashboard/verification") { request, context in
            try await form(request, context) { session, fields in
                let update = SessionVerificationUpdate(
                    verifierURL: Self.nonEmpty(fields["verifier_url"]), unsafeSkipVerification: fields["unsafe_skip"] == "1")
                let setting: SessionVerificationSettings
                do {
                    setting = try await audit.attempt(.verificationChanged, target: nil, context: context) {
                        try await verification.update(update)
                    }
                } catch let error as GatehouseError where error.code != .internalError && error.code != .storeUnavailable {
                    // The form again as it was sent, so that what was typed is not lost.
                    return try await verificationPage(
                        session,
                        extra: [
                            "error": error.message, "verifierURL": fields["verifier_url"] ?? "",
                            "unsafeSkip": update.unsafeSkipVerification == true,
                        ], status: error.status)
                }
                audit.verificationChanged(to: setting, context: context)
                return DashboardPages.redirect("/dashboard/verification?done=saved")
            }
        }
    }

    /// The keys page; `showingKey`: the answer that shows a new key once, which a failed read of
    /// the list must not lose (the key is stored, and shown nowhere else).
    private func keysPage(
        _ session: Session, extra: [String: Any], refusing refusal: GatehouseError? = nil, showingKey: Bool = false
    ) async throws -> Response {
        var extra = extra
        let records: [APIKeyRecord]
        do {
            records = try await store.apiKeys()
        } catch let error as GatehouseError where showingKey {
            records = []
            extra["error"] =
                "The list of keys could not be read just now (\(error.message)). Copy the new key first; then open API keys from the menu to see the list (reloading this page would send the form again)."
        }
        // The only admin key is not revoked here (above): its button says so instead of
        // offering a click that can only be refused.
        let admins = records.filter { $0.role == .admin }.count
        let rows: [[String: Any]] = records.sorted { $0.createdAt < $1.createdAt }.map {
            [
                "id": $0.id, "name": $0.name, "role": $0.role.rawValue, "created": $0.createdAt.iso8601,
                "lastUsed": $0.lastUsedAt?.iso8601 ?? "never",
                "current": $0.id == session.keyID, "csrf": session.csrf, "onlyAdmin": $0.role == .admin && admins == 1,
            ]
        }
        return pages.render(
            "keys", pageContext(session, nav: "keys", extra.merging(["keys": rows]) { first, _ in first }),
            refusing: refusal)
    }

    private func verificationPage(_ session: Session, extra: [String: Any], status: HTTPResponse.Status = .ok) async throws
        -> Response
    {
        let view = try await verification.view()
        return pages.render(
            "verification",
            pageContext(
                session, nav: "verification",
                extra.merging([
                    "inEffect": Self.verificationInEffect(skip: view.unsafeSkipVerification, verifierURL: view.verifierURL),
                    "skipInEffect": view.unsafeSkipVerification,
                    "oidcIssuer": settings.identityIssuer as Any, "verifierURL": view.verifierURL ?? "",
                    "unsafeSkip": view.unsafeSkipVerification, "skipAllowed": view.unsafeSkipVerificationChoiceAllowed,
                    // Where a verifier may be: what the refusal of another says, with the way to add one.
                    "publicURL": settings.publicURL, "allowedOrigins": settings.allowedRedirectOrigins.joined(separator: ", "),
                ]) { first, _ in first }),
            status: status)
    }

    /// What the stored setting does, in words: skipping wins over a verifier URL kept beside it.
    static func verificationInEffect(skip: Bool, verifierURL: String?) -> String {
        if skip {
            return verifierURL == nil
                ? "In effect: verification is SKIPPED. Whoever finishes a consent link attaches their account to the user it was made for."
                : "In effect: verification is SKIPPED. The verifier URL below is kept but not used until skipping is turned off."
        }
        if let verifierURL { return "In effect: every consent goes to \(verifierURL), which confirms the user." }
        return "In effect: nothing verifies users, so consents cannot finish. Set a verifier URL."
    }
}
