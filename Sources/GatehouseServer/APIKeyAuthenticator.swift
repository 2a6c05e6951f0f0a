import Foundation
import GatehouseCore
import HTTPTypes
import Hummingbird
import Synchronization

/// Checks `Authorization: <key>` or `Authorization: Bearer <key>` against the stored key hashes.
struct APIKeyAuthenticator<Context: RequestContext>: RouterMiddleware {
    let keys: APIKeyService

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response
    {
        guard var value = request.headers[.authorization]?.trimmingCharacters(in: .whitespaces), !value.isEmpty else {
            throw GatehouseError(.unauthenticated, "missing API key: send it in the Authorization header")
        }
        if value.lowercased().hasPrefix("bearer ") { value = String(value.dropFirst(7)).trimmingCharacters(in: .whitespaces) }
        guard try await keys.isValid(value) else {
            throw GatehouseError(.unauthenticated, "invalid API key")
        }
        return try await next(request, context)
    }
}

/// API keys: stored as SHA-256 hashes, shown once when made.
final class APIKeyService: Sendable {
    private let store: any Store
    // Hashes seen valid recently, so the hot path does not read the store on every call.
    private let recent = Mutex<[String: Date]>([:])
    private let cacheTTL: TimeInterval = 10

    init(store: any Store) { self.store = store }

    /// Makes a key, stores its hash and returns it (the only time it is seen).
    func create(name: String) async throws -> String {
        let key = "arc_" + SecureRandom.token(bytes: 32)
        try await store.insertAPIKey(hash: SecretHash.hex(key), name: name, createdAt: Date())
        return key
    }

    func isValid(_ key: String) async throws -> Bool {
        guard key.count <= 256 else { return false }
        let hash = SecretHash.hex(key)
        let now = Date()
        if let seen = recent.withLock({ $0[hash] }), now.timeIntervalSince(seen) < cacheTTL { return true }
        guard try await store.apiKeyExists(hash: hash) else { return false }
        recent.withLock {
            if $0.count > 1000 { $0.removeAll() }
            $0[hash] = now
        }
        return true
    }
}
