import Foundation
import GatehouseCore
import GatehouseWire
import HTTPTypes
import Hummingbird
import NIOCore

/// JSON in and out, with the checks every API body gets.
enum JSONResponse {
    static let encoder = JSONEncoder.sorted

    /// A JSON response.
    static func make<Value: Encodable>(_ value: Value, status: HTTPResponse.Status = .ok) throws -> Response {
        let data = try encoder.encode(value)
        return Response(
            status: status,
            headers: [.contentType: "application/json; charset=utf-8", .cacheControl: "no-store"],
            body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}

typealias HealthResponseBody = GatehouseWire.HealthResponse
