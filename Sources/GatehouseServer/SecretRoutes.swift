import Foundation
import GatehouseCore
import GatehouseWire
import Hummingbird

/// `/v1/admin/secrets`: tool secrets, stored encrypted, upserted by key, deleted by id.
struct SecretRoutes {
    let store: any Store
    let cipher: TokenCipher
    let now: @Sendable () -> Date
    /// Where each change is recorded.
    let audit: AuditTrail

    /// The routes, relative to `/v1/admin`.
    var collection: RouteCollection<GatehouseRequestContext> {
        let routes = RouteCollection(context: GatehouseRequestContext.self)
        routes.get("secrets") { _, _ in
            let items = try await store.secrets().map(view)
            return OffsetPage(items: items, limit: items.count, offset: 0, totalCount: items.count)
        }
        routes.post("secrets/:secret") { request, context in
            let key = try context.parameters.require("secret")
            guard !key.isEmpty, key.count <= 256,
                key.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "-_.".contains($0)) })
            else {
                throw GatehouseError.invalid("the secret key must be 1-256 letters, digits, '-', '_' or '.'")
            }
            let body = try await request.decode(as: SecretUpsertRequest.self, context: context)
            guard !body.value.isEmpty, body.value.count <= 1000 else {
                throw GatehouseError.invalid("value must be 1-1000 characters")
            }
            if let description = body.description, description.count > 1000 {
                throw GatehouseError.invalid("description must be at most 1000 characters")
            }
            let now = now()
            let record = SecretRecord(
                id: SecureRandom.identifier(prefix: "sec_"), key: key,
                sealedValue: try cipher.seal(
                    Array(body.value.utf8), context: SealedField.context(.toolSecret, rowID: "", name: key)),
                description: body.description,
                hint: ProviderRegistry.hint(for: body.value), createdAt: now, updatedAt: now)
            let stored = try await audit.attempt(.secretSet, target: key, context: context) {
                try await store.upsertSecret(record)
            }
            audit.record(.secretSet, target: key, context: context, detail: ["id": .string(stored.id)])
            return view(stored)
        }
        // Arcade upserts by key and deletes by id on the same path; one parameter name serves both.
        routes.delete("secrets/:secret") { _, context in
            let id = try context.parameters.require("secret")
            let deleted = try await audit.attempt(.secretDeleted, target: id, context: context) {
                try await store.deleteSecret(id: id)
            }
            guard deleted else { throw GatehouseError.notFound("secret '\(id)' not found") }
            audit.record(.secretDeleted, target: id, context: context)
            return Response(status: .noContent)
        }
        return routes
    }

    func view(_ record: SecretRecord) -> StoredSecretResponse {
        return StoredSecretResponse(
            id: record.id, key: record.key, description: record.description, hint: record.hint,
            createdAt: record.createdAt.iso8601, updatedAt: record.updatedAt.iso8601,
            lastAccessedAt: nil)
    }
}
