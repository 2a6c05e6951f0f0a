import Foundation

/// `application/x-www-form-urlencoded` and query-string encoding.
package enum FormEncoding {
    /// The `Authorization` value of `client_secret_basic`: id and secret each form-encoded first
    /// (RFC 6749 §2.3.1), then Basic.
    package static func basicCredentials(clientID: String, secret: String) -> String {
        "Basic " + Data((escape(clientID) + ":" + escape(secret)).utf8).base64EncodedString()
    }

    /// Percent-encodes everything but RFC 3986's unreserved characters.
    package static func escape(_ text: String) -> String {
        var out = ""
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."),
                UInt8(ascii: "_"), UInt8(ascii: "~"):
                out.append(Character(Unicode.Scalar(byte)))
            default:
                let hex = Array("0123456789ABCDEF")
                out += "%\(hex[Int(byte >> 4)])\(hex[Int(byte & 15)])"
            }
        }
        return out
    }

    /// Encodes parameters, sorted by name so requests are reproducible.
    package static func encode(_ params: [String: String]) -> String {
        params.sorted { $0.key < $1.key }.map { "\(escape($0.key))=\(escape($0.value))" }.joined(separator: "&")
    }

    /// Decodes a form or query string; later duplicates win.
    package static func decode(_ text: String) -> [String: String] {
        var result: [String: String] = [:]
        for pair in text.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let name = unescape(String(parts[0]))
            result[name] = parts.count > 1 ? unescape(String(parts[1])) : ""
        }
        return result
    }

    /// Reverses percent-encoding, reading `+` as a space.
    package static func unescape(_ text: String) -> String {
        var bytes: [UInt8] = []
        var iterator = Array(text.utf8).makeIterator()
        while let byte = iterator.next() {
            if byte == UInt8(ascii: "+") {
                bytes.append(UInt8(ascii: " "))
            } else if byte == UInt8(ascii: "%"), let high = iterator.next(), let low = iterator.next(),
                let value = UInt8(String(decoding: [high, low], as: UTF8.self), radix: 16)
            {
                bytes.append(value)
            } else {
                bytes.append(byte)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
