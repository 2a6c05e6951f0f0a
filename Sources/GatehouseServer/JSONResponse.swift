import Foundation
import GatehouseCore
import GatehouseWire
import HTTPTypes
import Hummingbird
import NIOCore

/// JSON out: sorted keys, unescaped slashes, never cached.
enum JSONResponse {
    static let encoder = JSONEncoder.sorted
    /// The head of every JSON answer.
    static let headers: HTTPFields = [.contentType: "application/json; charset=utf-8", .cacheControl: "no-store"]

    /// A JSON response.
    static func make<Value: Encodable>(_ value: Value, status: HTTPResponse.Status = .ok) throws -> Response {
        let body =
            if let authorization = value as? AuthorizationResponse {
                try AuthorizationResponseWriter.write(authorization)
            } else {
                ByteBuffer(bytes: try encoder.encode(value))
            }
        return Response(
            status: status,
            headers: headers,
            body: .init(byteBuffer: body))
    }

    /// A JSON response whose head is written now and whose body is `answer`'s, written when it
    /// returns: a long-poll's wait, with the head's status already decided.
    static func streamed(_ answer: @escaping @Sendable () async -> AuthorizationResponse) -> Response {
        Response(
            status: .ok,
            headers: headers,
            body: ResponseBody { writer in
                try await writer.write(try AuthorizationResponseWriter.write(await answer()))
                try await writer.finish(nil)
            })
    }
}

/// The response encoder of every route: what a handler returns is written by `JSONResponse`.
struct APIResponseEncoder: ResponseEncoder {
    func encode(_ value: some Encodable, from request: Request, context: some RequestContext) throws -> Response {
        try JSONResponse.make(value)
    }
}

// The wire types a route returns.
extension AuthorizationResponse: ResponseEncodable {}
extension ConfirmUserResponse: ResponseEncodable {}
extension AuthProviderResponse: ResponseEncodable {}
extension OffsetPage: ResponseEncodable {}
extension SessionVerificationSettings: ResponseEncodable {}
extension StoredSecretResponse: ResponseEncodable {}
extension GatehouseWire.HealthResponse: ResponseEncodable {}
