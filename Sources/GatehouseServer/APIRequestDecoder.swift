import Foundation
import GatehouseCore
import GatehouseWire
import HTTPTypes
import Hummingbird
import NIOCore

/// The request decoder of every route (`request.decode(as:context:)`): checks the media type
/// and the size (`api.max_request_body_size`), and names the field that is wrong.
struct APIRequestDecoder: RequestDecoder {
    // One decoder for every request: it holds no per-call state.
    static let decoder = JSONDecoder()

    func decode<Value: Decodable>(_ type: Value.Type, from request: Request, context: some RequestContext) async throws
        -> Value
    {
        let maxBodyBytes = context.maxUploadSize
        let contentType = request.headers[.contentType]?.lowercased() ?? ""
        guard contentType.hasPrefix("application/json") || contentType.contains("+json") else {
            throw GatehouseError(.unsupportedMediaType, "the body must be application/json")
        }
        if let length = request.headers[.contentLength].flatMap(Int.init), length > maxBodyBytes {
            throw GatehouseError(.payloadTooLarge, "the body is larger than \(maxBodyBytes) bytes (api.max_request_body_size)")
        }
        var request = request
        let buffer: ByteBuffer
        do {
            buffer = try await request.collectBody(upTo: maxBodyBytes)
        } catch is NIOTooManyBytesError {
            // Only that: a body the HTTP parser refuses goes on to Hummingbird, which answers it
            // (`UnreadableRequest`).
            throw GatehouseError(.payloadTooLarge, "the body is larger than \(maxBodyBytes) bytes (api.max_request_body_size)")
        }
        if type == AuthorizationRequest.self, let plain = AuthorizationRequestReader.read(buffer) as? Value {
            return plain
        }
        do {
            return try Self.decoder.decode(type, from: Data(buffer: buffer))
        } catch let error as DecodingError {
            throw GatehouseError.invalid(Self.describe(error))
        }
    }

    static func describe(_ error: DecodingError) -> String {
        func path(_ keys: [any CodingKey], _ last: (any CodingKey)? = nil) -> String {
            let all = keys + (last.map { [$0] } ?? [])
            let text = all.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined()
            return text.hasPrefix(".") ? String(text.dropFirst()) : text
        }
        switch error {
        case .keyNotFound(let key, let context):
            return "missing required field '\(path(context.codingPath, key))'"
        case .typeMismatch(let type, let context) where context.codingPath.isEmpty:
            return "the body must be \(describe(type))"
        case .typeMismatch(let type, let context):
            return "field '\(path(context.codingPath))' must be \(describe(type))"
        case .valueNotFound(let type, let context) where context.codingPath.isEmpty:
            return "the body must be \(describe(type)), not null"
        case .valueNotFound(let type, let context):
            return "field '\(path(context.codingPath))' must be \(describe(type)), not null"
        case .dataCorrupted(let context):
            if context.codingPath.isEmpty { return "the body is not valid JSON" }
            return "field '\(path(context.codingPath))' is invalid: \(context.debugDescription)"
        @unknown default:
            return "the body is invalid"
        }
    }

    private static func describe(_ type: Any.Type) -> String {
        switch type {
        case is String.Type: "a string"
        case is Bool.Type: "a boolean"
        case is Int.Type, is Double.Type: "a number"
        case is [String].Type, is [Any].Type: "an array"
        default: String(describing: type).contains("Array") ? "an array" : "an object"
        }
    }
}
