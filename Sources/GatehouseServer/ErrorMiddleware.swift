import GatehouseCore
import HTTPTypes
import Hummingbird
import Logging

/// Turns every error from an API route into Arcade's JSON error body.
struct ErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response
    {
        do {
            return try await next(request, context)
        } catch let error as GatehouseError {
            if error.code == .internalError {
                context.logger.error("request failed", metadata: ["error": "\(error.message)"])
            }
            var response = try JSONResponse.make(
                HTTPErrorMapping.body(for: error), status: HTTPErrorMapping.status(for: error.code))
            if let seconds = error.retryAfter { response.headers[.retryAfter] = String(seconds) }
            return response
        } catch let error as HTTPError {
            let code: GatehouseError.Code =
                switch error.status {
                case .notFound: .notFound
                case .methodNotAllowed: .invalidRequest
                case .contentTooLarge: .payloadTooLarge
                default: error.status.code < 500 ? .invalidRequest : .internalError
                }
            let body = GatehouseError(code, error.body ?? error.status.reasonPhrase)
            return try JSONResponse.make(HTTPErrorMapping.body(for: body), status: error.status)
        } catch {
            context.logger.error("request failed", metadata: ["error": "\(String(reflecting: type(of: error)))"])
            let body = GatehouseError(.internalError, "internal error")
            return try JSONResponse.make(HTTPErrorMapping.body(for: body), status: .internalServerError)
        }
    }
}
