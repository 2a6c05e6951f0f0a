import GatehouseCore
import GatehouseSQLite
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import NIOHTTP1

/// Turns every error from an API route into Arcade's JSON error body.
struct ErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    /// What a path answers, to tell a wrong method from a path that does not exist.
    let routeMethods: RouteMethods

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response
    {
        do {
            return try await next(request, context)
        } catch let error as GatehouseError {
            if error.code == .internalError {
                context.logger.error("request failed", metadata: ["error": "\(error.message)"])
            }
            return try error.response(from: request, context: context)
        } catch let error as HTTPError {
            // Hummingbird's own refusals (no such route, body too large) in Arcade's shape; its
            // router says 404 for a known path asked with another method as well.
            if error.status == .notFound {
                let allowed = routeMethods.allowed(onPath: request.uri.path)
                if !allowed.isEmpty, !allowed.contains(request.method) {
                    return try HTTPErrorMapping.methodNotAllowed(request.method, allowed: allowed)
                }
            }
            return try HTTPErrorMapping.response(for: error, path: request.uri.path)
        } catch let error as HTTPParserError {
            // A body the HTTP parser refused: Hummingbird answers it with a 400 and closes the
            // connection, and `ConnectionGuardHandler` says why in it (`UnreadableRequest`).
            throw error
        } catch is NIOTooManyBytesError {
            // A route that reads its body itself (the dashboard's forms) and got more than it takes.
            return try GatehouseError(.payloadTooLarge, "the request body is larger than this route takes")
                .response(from: request, context: context)
        } catch {
            // The type only: an error's description may quote what it was given. SQLite's say
            // which statement failed and why, without values.
            let described = SQLiteStore.loggable(error) ?? String(reflecting: type(of: error))
            context.logger.error("request failed", metadata: ["error": "\(described)"])
            return try GatehouseError(.internalError, "internal error").response(from: request, context: context)
        }
    }
}
