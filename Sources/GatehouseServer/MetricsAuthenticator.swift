import HTTPTypes
import Hummingbird

/// `/metrics`: the scrape token of `metrics.token` (`Authorization: Bearer <token>`), or an admin
/// key as any admin route takes it.
struct MetricsAuthenticator: RouterMiddleware {
    typealias Context = GatehouseRequestContext
    let token: ScrapeToken?
    let adminKeys: APIKeyAuthenticator

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response
    {
        if let token, let header = request.headers[.authorization], let value = APIKeyAuthenticator.key(in: header),
            token.matches(value)
        {
            return try await next(request, context)
        }
        return try await adminKeys.handle(request, context: context, next: next)
    }
}
