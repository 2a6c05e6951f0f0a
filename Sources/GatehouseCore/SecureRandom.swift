/// Random identifiers and secrets from the system's cryptographic generator.
package enum SecureRandom {
    /// `count` random bytes.
    package static func bytes(_ count: Int) -> [UInt8] {
        var generator = SystemRandomNumberGenerator()
        return (0..<count).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
    }

    /// A URL-safe token carrying `bytes` random bytes (32 bytes: 256 bits).
    package static func token(bytes count: Int = 32) -> String {
        Base64URL.encode(bytes(count))
    }

    /// Whether `text` has the shape of a `token(bytes:)` of `count` bytes: its length, in the
    /// base64url alphabet. What a value a request brings back must have before it is looked up.
    package static func isToken(_ text: String, bytes count: Int = 32) -> Bool {
        text.utf8.count == (count * 4 + 2) / 3
            && text.utf8.allSatisfy { Base64URL.isAlphabet($0) }
    }

    /// An identifier with a prefix, such as `ac_...`, carrying 128 random bits.
    package static func identifier(prefix: String) -> String {
        prefix + token(bytes: 16)
    }
}

/// Base64url without padding (RFC 4648 §5), as PKCE and JWTs use it.
package enum Base64URL {
    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".utf8)

    /// Whether `byte` is one of the alphabet's (`A-Z`, `a-z`, `0-9`, `-`, `_`).
    package static func isAlphabet(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "_"):
            true
        default: false
        }
    }

    /// Encodes bytes.
    package static func encode<Bytes: Collection>(_ data: Bytes) -> String where Bytes.Element == UInt8 {
        let bytes = Array(data)
        var out: [UInt8] = []
        out.reserveCapacity((bytes.count * 4 + 2) / 3)
        var index = 0
        while index + 2 < bytes.count {
            let n = UInt32(bytes[index]) << 16 | UInt32(bytes[index + 1]) << 8 | UInt32(bytes[index + 2])
            out += [alphabet[Int(n >> 18 & 63)], alphabet[Int(n >> 12 & 63)], alphabet[Int(n >> 6 & 63)], alphabet[Int(n & 63)]]
            index += 3
        }
        let rest = bytes.count - index
        if rest == 1 {
            let n = UInt32(bytes[index]) << 16
            out += [alphabet[Int(n >> 18 & 63)], alphabet[Int(n >> 12 & 63)]]
        } else if rest == 2 {
            let n = UInt32(bytes[index]) << 16 | UInt32(bytes[index + 1]) << 8
            out += [alphabet[Int(n >> 18 & 63)], alphabet[Int(n >> 12 & 63)], alphabet[Int(n >> 6 & 63)]]
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Decodes base64url or standard base64, with or without padding; nil when malformed.
    package static func decode(_ text: String) -> [UInt8]? {
        var values: [UInt8] = []
        for char in text.utf8 {
            switch char {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"): values.append(char - 65)
            case UInt8(ascii: "a")...UInt8(ascii: "z"): values.append(char - 71)
            case UInt8(ascii: "0")...UInt8(ascii: "9"): values.append(char + 4)
            case UInt8(ascii: "-"), UInt8(ascii: "+"): values.append(62)
            case UInt8(ascii: "_"), UInt8(ascii: "/"): values.append(63)
            case UInt8(ascii: "="): continue
            default: return nil
            }
        }
        if values.count % 4 == 1 { return nil }
        var out: [UInt8] = []
        var index = 0
        while index < values.count {
            let chunk = values[index..<min(index + 4, values.count)]
            var n: UInt32 = 0
            for (offset, value) in chunk.enumerated() { n |= UInt32(value) << (18 - 6 * offset) }
            out.append(UInt8(n >> 16 & 255))
            if chunk.count > 2 { out.append(UInt8(n >> 8 & 255)) }
            if chunk.count > 3 { out.append(UInt8(n & 255)) }
            index += 4
        }
        return out
    }
}
