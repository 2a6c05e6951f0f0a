import Foundation
import GatehouseCore
import GatehouseWire
import HTTPTypes
import Hummingbird

/// The one place where errors become HTTP statuses (and Hummingbird's own HTTP errors become
/// Gatehouse errors, so they answer in the same shape).
enum HTTPErrorMapping {
    static func status(for code: GatehouseError.Code) -> HTTPResponse.Status {
        switch code {
        case .invalidRequest, .userMismatch, .flowState: .badRequest
        case .unauthenticated: .unauthorized
        case .forbidden: .forbidden
        case .notFound: .notFound
        case .conflict: .conflict
        case .unsupportedMediaType: .unsupportedMediaType
        case .payloadTooLarge: .contentTooLarge
        case .providerError: .badGateway
        case .providerUnavailable, .storeUnavailable, .serverBusy: .serviceUnavailable
        case .rateLimited: .tooManyRequests
        case .notImplemented: .notImplemented
        case .requestTimeout: .requestTimeout
        default: .internalServerError
        }
    }

    /// The status of a callback page that did not end in success.
    static func status(for failure: CallbackFailure) -> HTTPResponse.Status {
        switch failure {
        case .incompleteLink, .expiredOrUsed, .wrongProvider, .issuerMismatch, .declined, .noCode, .providerRemoved,
            .notCompleted:
            .badRequest
        case .exchangeRefused, .providerUnavailable, .providerReportedError: .badGateway
        case .wrongUser, .appSignInFailed: .forbidden
        case .changedMeanwhile: .conflict
        case .unknownFlow: .notFound
        case .noVerifier, .internalError: .internalServerError
        case .storeUnavailable: .serviceUnavailable
        }
    }

    /// The body, whose `code` is the status the response is sent with.
    static func body(for error: GatehouseError, status: HTTPResponse.Status? = nil) -> ErrorBody {
        ErrorBody(status: Int((status ?? self.status(for: error.code)).code), name: error.code.rawValue, message: error.message)
    }

    /// The error written by hand, below Hummingbird's router (a connection refused over the cap, a
    /// request the parser refused): `head` with the JSON headers every answer has, and the body.
    static func written(_ error: GatehouseError, head: HTTPResponse) -> (HTTPResponse, ByteBuffer) {
        let bytes = ByteBuffer(bytes: (try? JSONResponse.encoder.encode(body(for: error, status: head.status))) ?? Data())
        var head = head
        for field in JSONResponse.headers { head.headerFields[field.name] = field.value }
        head.headerFields[.contentLength] = String(bytes.readableBytes)
        return (head, bytes)
    }

    /// Hummingbird's own `HTTPError` (no such route, wrong method, body too large) as a Gatehouse
    /// error, answered under the `HTTPError`'s own status.
    static func error(for error: HTTPError, path: String) -> GatehouseError {
        let code: GatehouseError.Code =
            switch error.status {
            case .notFound: .notFound
            case .methodNotAllowed: .invalidRequest
            case .contentTooLarge: .payloadTooLarge
            default: error.status.code < 500 ? .invalidRequest : .internalError
            }
        var message = error.body ?? error.status.reasonPhrase
        if error.status == .notFound, path == "/dashboard" || path.hasPrefix("/dashboard/") {
            message = "The dashboard has no page at this address."
        } else if error.status == .notFound, let family = engineRoutes.first(where: { path == $0 || path.hasPrefix($0 + "/") }) {
            message =
                "Gatehouse serves Arcade's auth API only (/v1/auth/*, /v1/admin/*, /v1/health); \(family) belongs to Arcade's tool engine, which Gatehouse does not include"
        }
        return GatehouseError(code, message)
    }

    /// `405` for a known path asked with a method it does not answer: the error naming the
    /// methods it does, and the same list for `Allow`.
    static func methodNotAllowed(_ method: HTTPRequest.Method, allowed: [HTTPRequest.Method]) -> (GatehouseError, allow: String) {
        let names = allowed.map(\.rawValue).joined(separator: ", ")
        return (
            GatehouseError(.invalidRequest, "method \(method.rawValue) is not allowed here; this path answers \(names)"), names
        )
    }

    /// Arcade's routes that belong to its tool engine (tools, workers, MCP, chat), not its auth
    /// service: a client pointed at Gatehouse that calls one is told so.
    static let engineRoutes = [
        "/v1/tools", "/v1/formatted_tools", "/v1/scheduled_tools", "/v1/workers", "/v1/mcp", "/v1/projects", "/v1/chat",
        "/v1/config",
    ]
}
