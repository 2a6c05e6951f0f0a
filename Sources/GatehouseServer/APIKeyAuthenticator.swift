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
        guard let header = request.headers[.authorization], let value = Self.key(in: header) else {
            throw GatehouseError(.unauthenticated, "missing API key: send it in the Authorization header")
        }
        guard let key = try await keys.authenticate(value) else {
            throw GatehouseError(.unauthenticated, "invalid API key")
        }
        // Only a key that exists is named: a hash of whatever else was sent (a password pasted
        // by mistake) could be guessed back from the log.
        context.notes.keyID = key.id
        // Before the role: a refusal is a request of the key's like any other.
        try limiter.admit(key)
        if requiredRole == .admin, key.role != .admin {
            throw GatehouseError(
                .forbidden,
                "this API key has the \(key.role.rawValue) role; \(Self.area(of: request.uri.path)) needs a key with the admin role"
            )
        }
        var context = context
        context.apiKey = key
        context.maxUploadSize = limiter.limits.maxBodyBytes
        return try await next(request, context)
    }

    /// The admin-only area a path is in, for the refusal: `/metrics` or `/v1/admin/*`.
    static func area(of path: String) -> String {
        path == "/metrics" || path.hasPrefix("/metrics/") ? "/metrics" : "/v1/admin/*"
    }

    /// Whether two ASCII bytes are the same letter in any case (A-Z, 65-90, become a-z).
    private static func sameIgnoringCase(_ byte: UInt8, _ lower: UInt8) -> Bool {
        ((65...90).contains(byte) ? byte | 0x20 : byte) == lower
    }

    /// The key in an `Authorization` value: `<key>` or `Bearer <key>` (any case), spaces
    /// around either part ignored; nil when there is none.
    static func key(in header: String) -> String? {
        var value = Substring(header).trimmingSpaces()
        if value.utf8.count > 7, value.utf8.prefix(7).elementsEqual("bearer ".utf8, by: Self.sameIgnoringCase) {
            value = value.dropFirst(7).trimmingSpaces()
        }
        return value.isEmpty ? nil : String(value)
    }
}

extension Substring {
    /// Without leading and trailing spaces and tabs (what `.whitespaces` trims in a header).
    fileprivate func trimmingSpaces() -> Substring {
        let blank: (Character) -> Bool = { $0 == " " || $0 == "\t" }
        guard let first = firstIndex(where: { !blank($0) }), let last = lastIndex(where: { !blank($0) }) else { return "" }
        return self[first...last]
    }
}
