import GatehouseCore
import HTTPTypes
import Hummingbird

// Core says what went wrong, and `HTTPErrorMapping` gives its status; here that becomes the API's
// answer: Arcade's error body, with `Retry-After` when there is one. (On the dashboard's paths,
// `ErrorMiddleware` answers with `HTMLPage.page(for:status:reference:)` instead.)
extension GatehouseError: HTTPResponseError {
    /// The status the error is answered with (`HTTPErrorMapping`).
    package var status: HTTPResponse.Status { HTTPErrorMapping.status(for: code) }

    static let shouldRetry = HTTPField.Name("x-should-retry")!

    /// `Retry-After`: the error's own, or for a store that cannot serve now, 2 s (a pool that
    /// reconnects, a database restarting: the outages the docs measure end in seconds).
    var retryAfterSaid: Int? { retryAfter ?? (code == .storeUnavailable ? 2 : nil) }

    /// Arcade's JSON error body under `status`.
    package func response(from request: Request, context: some RequestContext) throws -> Response {
        try response(status: status)
    }

    /// Arcade's error body under `status` (the code's own, or that of the `HTTPError` it stands for).
    func response(status: HTTPResponse.Status) throws -> Response {
        var response = try JSONResponse.make(HTTPErrorMapping.body(for: self, status: status), status: status)
        if let retryAfterSaid { response.headers[.retryAfter] = String(retryAfterSaid) }
        // The official clients retry a 409 twice unless told not to; a conflict stays one.
        if status == .conflict { response.headers[Self.shouldRetry] = "false" }
        // RFC 9110 §11.6.1: a 401 names the scheme that would work (the API key, as a bearer
        // token or raw).
        if status == .unauthorized { response.headers[.wwwAuthenticate] = #"Bearer realm="gatehouse""# }
        return response
    }
}
