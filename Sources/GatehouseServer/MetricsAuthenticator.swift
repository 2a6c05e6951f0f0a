import GatehouseCore
import HTTPTypes
import Hummingbird

/// `/metrics`: the scrape token of `metrics.token` (`Authorization: Bearer <token>`), or an admin
/// key as any admin route takes it.
struct MetricsAuthenticator: RouterMiddleware {
    typealias Context = GatehouseRequestContext
    let token: ScrapeToken?
    let adminKeys: APIKeyAuthenticator
    let guesses: ScrapeGuesses

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response
    {
        guard let token, let header = request.headers[.authorization], let value = APIKeyAuthenticator.key(in: header) else {
            return try await adminKeys.handle(request, context: context, next: next)
        }
        let wait = guesses.take()
        if wait == nil, token.matches(value) {
            guesses.refund()
            return try await next(request, context)
        }
        do {
            let response = try await adminKeys.handle(request, context: context, next: next)
            if wait == nil { guesses.refund() }
            return response
        } catch let error as GatehouseError where Self.isGuess(error, context: context) {
            // Neither the token nor a key that exists: the token taken stays spent.
            guard let wait else { throw error }
            throw GatehouseError(
                .rateLimited,
                "too many wrong keys at /metrics: metrics.token is not checked until they slow down; an admin key still opens it",
                retryAfter: wait)
        } catch {
            if wait == nil { guesses.refund() }
            throw error
        }
    }

    /// Whether the admin keys' refusal was of a value that is neither the token nor a key that
    /// exists (a key that exists sets `notes.keyID`; a store that did not answer is no guess).
    private static func isGuess(_ error: GatehouseError, context: Context) -> Bool {
        context.notes.keyID == nil && (error.code == .unauthenticated || error.code == .rateLimited)
    }
}
