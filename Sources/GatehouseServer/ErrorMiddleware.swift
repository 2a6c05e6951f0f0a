import GatehouseCore
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import NIOHTTP1

/// Refuses a body no route can read (`TransferCodingCheck`), and turns every error from a route
/// into Arcade's JSON error body, or, on the dashboard's pages, into a page a person reads, with
/// the request id to quote.
struct ErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    /// What a path answers, to tell a wrong method from a path that does not exist.
    let routeMethods: RouteMethods

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response
    {
        do {
            try TransferCodingCheck.check(request.headers)
            return try await next(request, context)
        } catch let error as HTTPParserError {
            // A body the HTTP parser refused: Hummingbird answers it with a 400 and closes the
            // connection, and `ConnectionGuardHandler` says why in it (`UnreadableRequest`).
            throw error
        } catch {
            let (failure, status, headers) = answer(to: error, request: request, context: context)
            var response =
                DashboardPages.serves(request.uri.path)
                ? HTMLPage.page(for: failure, status: status, reference: RequestCorrelation.id)
                : try failure.response(status: status)
            response.headers.append(contentsOf: headers)
            return response
        }
    }

    /// What `error` is told as: the error, the status it goes under, and headers of its own.
    private func answer(
        to error: any Error, request: Request, context: Context
    ) -> (GatehouseError, HTTPResponse.Status, HTTPFields) {
        switch error {
        case let error as GatehouseError:
            if error.code == .internalError {
                context.logger.error("request failed", metadata: ["error": "\(error.message)"])
            }
            return (error, error.status, [:])
        case let error as HTTPError:
            // Hummingbird's own refusals (no such route, body too large); its router says 404
            // for a known path asked with another method as well.
            if error.status == .notFound {
                let allowed = routeMethods.allowed(onPath: request.uri.path)
                if !allowed.isEmpty, !allowed.contains(request.method) {
                    let (refusal, allow) = HTTPErrorMapping.methodNotAllowed(request.method, allowed: allowed)
                    return (refusal, .methodNotAllowed, [.allow: allow])
                }
            }
            return (HTTPErrorMapping.error(for: error, path: request.uri.path), error.status, [:])
        case let error as RequestBodyTimeout:
            let timeout = GatehouseError(
                .requestTimeout, "the request body did not arrive within \(error.limit) (api.read_timeout)")
            return (timeout, timeout.status, [:])
        case is NIOTooManyBytesError:
            // A route that reads its body itself (the dashboard's forms) and got more than it takes.
            let tooLarge = GatehouseError(.payloadTooLarge, "the request body is larger than this route takes")
            return (tooLarge, tooLarge.status, [:])
        default:
            // The type only: an error's description may quote what it was given. A store's
            // driver says what failed, without values.
            let described = (error as? any LoggableStoreError)?.loggable ?? String(reflecting: type(of: error))
            context.logger.error("request failed", metadata: ["error": "\(described)"])
            return (GatehouseError(.internalError, "internal error"), .internalServerError, [:])
        }
    }
}
