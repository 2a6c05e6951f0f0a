import Foundation
import GatehouseWire
import NIOCore

/// Writes an `AuthorizationResponse` as `JSONResponse.encoder` would, byte for byte (sorted
/// keys, slashes unescaped), without the encoder's generic machinery: it is the answer of every
/// hot `authorize`, where the encoder was a tenth of the time. `user_info`, free-form, still
/// goes through the encoder when it is not empty. A test checks the bytes against the encoder.
enum AuthorizationResponseWriter {
    static func write(_ response: AuthorizationResponse) throws -> ByteBuffer {
        var out = ByteBuffer()
        out.reserveCapacity(512)
        out.writeStaticString("{")
        var first = true
        func key(_ name: StaticString) {
            if !first { out.writeStaticString(",") }
            first = false
            out.writeStaticString("\"")
            out.writeStaticString(name)
            out.writeStaticString("\":")
        }
        // Keys in sorted order: context, id, provider_id, scopes, status, status_reason, url, user_id.
        if let context = response.context {
            key("context")
            out.writeStaticString("{")
            var firstInContext = true
            if let token = context.token {
                out.writeStaticString("\"token\":")
                string(token, into: &out)
                firstInContext = false
            }
            if let info = context.userInfo {
                out.writeStaticString(firstInContext ? "\"user_info\":" : ",\"user_info\":")
                if info.isEmpty {
                    out.writeStaticString("{}")
                } else {
                    out.writeBytes(try JSONResponse.encoder.encode(info))
                }
            }
            out.writeStaticString("}")
        }
        if let id = response.id {
            key("id")
            string(id, into: &out)
        }
        if let provider = response.providerID {
            key("provider_id")
            string(provider, into: &out)
        }
        if let scopes = response.scopes {
            key("scopes")
            out.writeStaticString("[")
            for (index, scope) in scopes.enumerated() {
                if index > 0 { out.writeStaticString(",") }
                string(scope, into: &out)
            }
            out.writeStaticString("]")
        }
        if let status = response.status {
            key("status")
            string(status.rawValue, into: &out)
        }
        if let reason = response.statusReason {
            key("status_reason")
            string(reason, into: &out)
        }
        if let url = response.url {
            key("url")
            string(url, into: &out)
        }
        if let user = response.userID {
            key("user_id")
            string(user, into: &out)
        }
        out.writeStaticString("}")
        return out
    }

    /// A JSON string: `"` and `\` escaped, control characters as the encoder writes them,
    /// everything else (slashes and non-ASCII included) as it is.
    static func string(_ text: String, into out: inout ByteBuffer) {
        out.writeStaticString("\"")
        var text = text
        text.withUTF8 { bytes in
            var start = 0
            for (index, byte) in bytes.enumerated() where byte < 0x20 || byte == 0x22 || byte == 0x5C {
                out.writeBytes(UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(bytes)[start..<index]))
                switch byte {
                case 0x22: out.writeStaticString("\\\"")
                case 0x5C: out.writeStaticString("\\\\")
                case 0x08: out.writeStaticString("\\b")
                case 0x0C: out.writeStaticString("\\f")
                case 0x0A: out.writeStaticString("\\n")
                case 0x0D: out.writeStaticString("\\r")
                case 0x09: out.writeStaticString("\\t")
                default:
                    out.writeStaticString("\\u00")
                    out.writeInteger(hexDigits[Int(byte >> 4)])
                    out.writeInteger(hexDigits[Int(byte & 0x0F)])
                }
                start = index + 1
            }
            out.writeBytes(UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(bytes)[start...]))
        }
        out.writeStaticString("\"")
    }

    private static let hexDigits = Array("0123456789abcdef".utf8)
}
