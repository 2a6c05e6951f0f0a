import Foundation
import GatehouseCore
import HTTPTypes
import Hummingbird

/// Checks `Authorization: <key>` or `Authorization: Bearer <key>` against the stored key hashes,
/// and the key's role against the role the route group needs.
struct APIKeyAuthenticator: RouterMiddleware {
    typealias Context = GatehouseRequestContext
    let keys: APIKeyService
    let limiter: KeyLimiter
    /// The role this group needs: `.app` admits every key, `.admin` only admin keys.
    let requiredRole: APIKeyRole

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response
    {
        guard var value = request.headers[.authorization]?.trimmingCharacters(in: .whitespaces), !value.isEmpty else {
            throw GatehouseError(.unauthenticated, "missing API key: send it in the Authorization header")
        }
        if value.lowercased().hasPrefix("bearer ") { value = String(value.dropFirst(7)).trimmingCharacters(in: .whitespaces) }
        guard let key = try await keys.authenticate(value) else {
            throw GatehouseError(.unauthenticated, "invalid API key")
        }
        if requiredRole == .admin, key.role != .admin {
            throw GatehouseError(
                .forbidden, "this API key has the \(key.role.rawValue) role; /v1/admin/* needs a key with the admin role")
        }
        try limiter.admit(key)
        var context = context
        context.apiKey = key
        context.maxUploadSize = limiter.limits.maxBodyBytes
        return try await next(request, context)
    }
}
