import Foundation
import GatehouseCore
import GatehouseWire
import HTTPTypes
import Hummingbird

/// `/v1/admin/*` (registered on the admin group): providers, user connections and the verification setting.
struct AdminRoutes {
    let broker: AuthBroker
    let store: any Store

    func register(on group: RouterGroup<some RequestContext>) {
        let providers = broker.providerRegistry
        group.get("auth_providers") { _, _ in
            let items = try await providers.all().map(view)
            return try JSONResponse.make(OffsetPage(items: items, limit: items.count, offset: 0, totalCount: items.count))
        }
        group.post("auth_providers") { request, context in
            let body = try await RequestDecoding.decode(AuthProviderRequest.self, from: request, context: context)
            guard body.id != nil else { throw GatehouseError.invalid("missing required field 'id'") }
            return try JSONResponse.make(view(try await providers.create(body, source: .api)))
        }
        group.get("auth_providers/:id") { _, context in
            let id = try context.parameters.require("id")
            guard let provider = try await providers.configured(id: id) else {
                throw GatehouseError.notFound("auth provider '\(id)' not found")
            }
            return try JSONResponse.make(view(provider))
        }
        group.patch("auth_providers/:id") { request, context in
            let body = try await RequestDecoding.decode(AuthProviderRequest.self, from: request, context: context)
            return try JSONResponse.make(view(try await providers.patch(id: try context.parameters.require("id"), with: body)))
        }
        group.delete("auth_providers/:id") { _, context in
            try JSONResponse.make(view(try await providers.delete(id: try context.parameters.require("id"))))
        }
        group.get("user_connections") { request, _ in
            let query = request.decodedQuery
            func first(_ names: String...) -> String? {
                names.lazy.compactMap { query[$0] }.first { !$0.isEmpty }
            }
            let limit = try Self.integer(query["limit"], name: "limit", default: 25, range: 1...100)
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
            return try JSONResponse.make(OffsetPage(items: items, limit: limit, offset: offset, totalCount: page.total))
        }
        group.delete("user_connections/:id") { _, context in
            let id = try context.parameters.require("id")
            guard try await store.deleteConnection(id: id) else {
                throw GatehouseError.notFound("user connection '\(id)' not found")
            }
            return Response(status: .noContent)
        }
        group.get("settings/session_verification") { _, _ in
            try JSONResponse.make(try await broker.verificationSettings.view())
        }
        group.put("settings/session_verification") { request, context in
            let body = try await RequestDecoding.decode(SessionVerificationUpdate.self, from: request, context: context)
            return try JSONResponse.make(try await broker.verificationSettings.update(body))
        }
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
                redirectURI: broker.settings.redirectURI(providerID: provider.id)))
    }
}
