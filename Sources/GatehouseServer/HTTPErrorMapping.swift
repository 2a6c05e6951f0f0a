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
        case .providerUnavailable, .storeUnavailable: .serviceUnavailable
        case .rateLimited: .tooManyRequests
        default: .internalServerError
        }
    }

    /// The status of a callback page that did not end in success.
    static func status(for failure: CallbackFailure) -> HTTPResponse.Status {
        switch failure {
        case .incompleteLink, .expiredOrUsed, .wrongProvider, .declined, .noCode, .providerRemoved, .notCompleted:
            .badRequest
        case .exchangeRefused, .providerUnavailable: .badGateway
        case .changedMeanwhile: .conflict
        case .unknownFlow: .notFound
        case .noVerifier, .internalError: .internalServerError
        }
    }

    static func body(for error: GatehouseError) -> ErrorBody {
        ErrorBody(status: Int(status(for: error.code).code), name: error.code.rawValue, message: error.message)
    }

    /// Hummingbird's own `HTTPError` (no such route, wrong method, body too large) answered in
    /// Arcade's shape, under its own status.
    static func response(for error: HTTPError) throws -> Response {
        let code: GatehouseError.Code =
            switch error.status {
            case .notFound: .notFound
            case .methodNotAllowed: .invalidRequest
            case .contentTooLarge: .payloadTooLarge
            default: error.status.code < 500 ? .invalidRequest : .internalError
            }
        return try JSONResponse.make(
            body(for: GatehouseError(code, error.body ?? error.status.reasonPhrase)), status: error.status)
    }
}
