import GatehouseCore
import HTTPTypes
import Hummingbird
import Logging
import NIOHTTP1

/// The outermost middleware: gives each request its id (the caller's `X-Request-Id`, or one made
/// here), echoes it in the response, and writes one line per request: method, route pattern
/// (never the path or query, which may hold a code or a state), status, duration, the id, the
/// accepted API key's public id and the peer's address.
/// The duration is to the response's head; a body is written after.
struct RequestObserverMiddleware: RouterMiddleware {
    typealias Context = GatehouseRequestContext

    let log: RequestLog
    let telemetry: Telemetry

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response
    {
        let started = ContinuousClock.now
        var context = context
        let id: String
        if let given = RequestCorrelation.accepted(request.headers[RequestCorrelation.header]) {
            id = given
            context.logger[metadataKey: "hb.request.id"] = .string(given)
        } else {
            // Hummingbird's server gives every request an id; its test router does not.
            id = context.logger[metadataKey: "hb.request.id"]?.description ?? RequestID().description
        }
        return try await RequestCorrelation.$id.withValue(id) {
            do {
                var response = try await next(request, context)
                response.headers[RequestCorrelation.header] = id
                record(request, id: id, context: context, status: response.status.code, since: started)
                return response
            } catch let error as HTTPParserError {
                // A body the parser refused while the route read it: Hummingbird answers it 400
                // (`ConnectionGuardHandler` says why, and leaves the line to this one).
                record(request, id: id, context: context, status: 400, since: started)
                throw error
            } catch {
                // ErrorMiddleware answers every other error, so only a failure to write its answer lands here.
                record(request, id: id, context: context, status: 500, since: started)
                throw error
            }
        }
    }

    private func record(
        _ request: Request, id: String, context: Context, status: Int, since started: ContinuousClock.Instant
    ) {
        let duration = started.duration(to: .now)
        let route = context.endpointPath ?? "unmatched"
        // A client may send any token as a method: the label keeps to the ones routes answer.
        let method =
            switch request.method {
            case .get, .head, .post, .put, .patch, .delete, .options: request.method.rawValue
            default: "other"
            }
        telemetry.request(method: method, route: route, status: status, duration: duration)
        let milliseconds = Double(duration.nanoseconds / 1000) / 1000  // to the microsecond
        log.record(
            method: request.method.rawValue, route: route, status: status, milliseconds: milliseconds, requestID: id,
            keyID: context.notes.keyID, client: context.channel.remoteAddress?.ipAddress)
    }
}
