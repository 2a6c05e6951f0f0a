import Foundation
import GatehouseCore
import GatehouseWire
import HTTPTypes
import Hummingbird

/// `/v1/admin/*`: providers, user connections and the verification setting.
struct AdminRoutes {
    let providers: ProviderRegistry
    let store: any Store
    let verification: VerificationSettingsService
    let settings: BrokerSettings
    /// Deletes connections (and revokes their grants at the provider).
    let broker: AuthBroker
    /// Where each change is recorded.
    let audit: AuditTrail

    /// The routes, relative to `/v1/admin`.
    var collection: RouteCollection<GatehouseRequestContext> {
        let routes = RouteCollection(context: GatehouseRequestContext.self)
        routes.get("auth_providers") { _, _ in
            let items = try await providers.all().map(view)
            return OffsetPage(items: items, limit: items.count, offset: 0, totalCount: items.count)
        }
        routes.post("auth_providers") { request, context in
            let body = try await request.decode(as: AuthProviderRequest.self, context: context)
            guard body.id != nil else { throw GatehouseError.invalid("missing required field 'id'") }
            let provider = try await audit.attempt(.providerCreated, target: body.id, context: context) {
                try await providers.create(body, source: .api)
            }
            audit.record(.providerCreated, target: provider.id, context: context)
            return view(provider)
        }
        routes.get("auth_providers/:id") { _, context in
            let id = try context.parameters.require("id")
            guard let provider = try await providers.configured(id: id) else {
                throw GatehouseError.providerNotFound(id)
            }
            return view(provider)
        }
        routes.patch("auth_providers/:id") { request, context in
            let body = try await request.decode(as: ProviderPatch.self, context: context)
            let id = try context.parameters.require("id")
            let provider = try await audit.attempt(.providerChanged, target: id, context: context) {
                try await providers.patch(id: id, with: body)
            }
            audit.changed(provider: id, by: body, now: provider.id, context: context)
            return view(provider)
        }
        routes.delete("auth_providers/:id") { _, context in
            let id = try context.parameters.require("id")
            let provider = try await audit.attempt(.providerDeleted, target: id, context: context) {
                try await providers.delete(id: id)
            }
            audit.record(.providerDeleted, target: provider.id, context: context)
            return view(provider)
        }
        routes.get("user_connections") { request, _ in
            let query = request.decodedQuery
            func first(_ names: String...) -> String? {
                names.lazy.compactMap { query[$0] }.first { !$0.isEmpty }
            }
            // Above the largest page, the largest page: what the official clients expect.
            let limit = min(100, try Self.integer(query["limit"], name: "limit", default: 25, range: 1...Int(Int32.max)))
            let offset = try Self.integer(query["offset"], name: "offset", default: 0, range: 0...Int(Int32.max))
            let page = try await store.connections(
                ConnectionQuery(
                    userID: first("user_id", "user.id", "user[id]"),
                    providerID: first("provider_id", "provider.id", "provider[id]"), limit: limit, offset: offset))
            let described = try await providers.all().reduce(into: [String: String]()) { $0[$1.id] = $1.description }
            let items = page.items.map { connection in
                UserConnection(
                    id: connection.id, connectionStatus: connection.status.rawValue, providerID: connection.providerID,
                    providerDescription: described[connection.providerID], providerUserInfo: connection.userInfo ?? [:],
                    scopes: connection.scopes, userID: connection.userID)
            }
            return OffsetPage(items: items, limit: limit, offset: offset, totalCount: page.total)
        }
        routes.delete("user_connections/:id") { _, context in
            let id = try context.parameters.require("id")
            guard
                let deleted = try await audit.attempt(
                    .connectionDeleted, target: id, context: context, { try await broker.disconnect(id: id) })
            else {
                throw GatehouseError.notFound("user connection '\(id)' not found")
            }
            audit.deleted(connection: id, of: deleted.providerID, deleted.outcome, context: context)
            return Response(status: .noContent)
        }
        routes.get("settings/session_verification") { _, _ in
            try await verification.view()
        }
        routes.put("settings/session_verification") { request, context in
            let update = try await request.decode(as: SessionVerificationUpdate.self, context: context)
            let setting = try await audit.attempt(.verificationChanged, target: nil, context: context) {
                try await verification.update(update)
            }
            audit.verificationChanged(to: setting, context: context)
            return setting
        }
        return routes
    }

    static func integer(_ text: String?, name: String, default value: Int, range: ClosedRange<Int>) throws -> Int {
        guard let text else { return value }
        guard let number = Int(text), range.contains(number) else {
            throw GatehouseError.invalid(
                "query parameter '\(name)' must be a whole number from \(range.lowerBound) to \(range.upperBound)")
        }
        return number
    }

    func view(_ provider: Provider) -> AuthProviderResponse {
        let binding = provider.source == .config ? "static" : "project"
        return AuthProviderResponse(
            id: provider.id, description: provider.description, providerID: provider.providerType,
            status: provider.enabled ? "active" : "inactive", createdAt: provider.createdAt.iso8601,
            updatedAt: provider.updatedAt.iso8601,
            binding: .init(id: provider.source == .config ? nil : "default", type: binding),
            oauth2: .init(
                config: provider.oauth2,
                clientSecret: .init(
                    binding: binding, editable: provider.source == .api, exists: provider.clientSecret != nil,
                    hint: ProviderRegistry.hint(for: provider.clientSecret)),
                redirectURI: settings.redirectURI(providerID: provider.id)))
    }
}
