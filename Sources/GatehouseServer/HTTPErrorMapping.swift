import GatehouseCore
import GatehouseWire
import HTTPTypes

/// The one place where errors become HTTP statuses.
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
        case .providerUnavailable: .serviceUnavailable
        case .rateLimited: .tooManyRequests
        default: .internalServerError
        }
    }

    static func body(for error: GatehouseError) -> ErrorBody {
        ErrorBody(status: Int(status(for: error.code).code), name: error.code.rawValue, message: error.message)
    }
}
