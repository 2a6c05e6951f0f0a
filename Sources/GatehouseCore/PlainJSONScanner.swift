/// Reads JSON in its plainest shape, for the few documents the hot path reads on every request
/// (an `authorize` body, a sealed token set), where `JSONDecoder` was the largest cost left.
/// Strings must be printable ASCII, with `\/` the only escape; numbers are plain decimals.
/// Anything else makes a read answer nil, and the caller decodes with `JSONDecoder`, which
/// has the last word on what the JSON means and what is wrong with it.
///
/// It reads the bytes it is given in place: use it inside `withUnsafeBytes`.
package struct PlainJSONScanner {
    private let bytes: UnsafeRawBufferPointer
    private var index = 0

    /// A scanner at the start of `bytes`.
    package init(_ bytes: UnsafeRawBufferPointer) {
        self.bytes = bytes
    }

    /// Whether only white space is left.
    package mutating func atEnd() -> Bool {
        skipSpace()
        return index == bytes.count
    }

    /// An object whose every member `member` reads from the value on (answering false gives
    /// up). Each key once: a repeated key gives up too, since decoders differ on it.
    package mutating func object(_ member: (String, inout PlainJSONScanner) -> Bool) -> Bool {
        skipSpace()
        guard take(UInt8(ascii: "{")) else { return false }
        skipSpace()
        if take(UInt8(ascii: "}")) { return true }
        var seen: [String] = []
        while true {
            skipSpace()
            guard let key = string(), !seen.contains(key) else { return false }
            seen.append(key)
            skipSpace()
            guard take(UInt8(ascii: ":")) else { return false }
            skipSpace()
            guard member(key, &self) else { return false }
            skipSpace()
            if take(UInt8(ascii: "}")) { return true }
            guard take(UInt8(ascii: ",")) else { return false }
        }
    }

    /// An array of strings.
    package mutating func strings() -> [String]? {
        guard take(UInt8(ascii: "[")) else { return nil }
        var values: [String] = []
        skipSpace()
        if take(UInt8(ascii: "]")) { return values }
        while true {
            skipSpace()
            guard let value = string() else { return nil }
            values.append(value)
            skipSpace()
            if take(UInt8(ascii: "]")) { return values }
            guard take(UInt8(ascii: ",")) else { return nil }
        }
    }

    /// A string or `null` (`.some(nil)`); nil when it is neither in the plain shape.
    package mutating func optionalString() -> String?? {
        if null() { return .some(nil) }
        return string().map { .some($0) }
    }

    /// A string of printable ASCII, `\/` its only escape.
    package mutating func string() -> String? {
        guard take(UInt8(ascii: "\"")) else { return nil }
        var start = index
        var pieces: [UInt8] = []
        var escaped = false
        while index < bytes.count {
            let byte = bytes[index]
            if byte == UInt8(ascii: "\"") {
                let tail = UnsafeRawBufferPointer(rebasing: bytes[start..<index])
                index += 1
                guard escaped else { return String(decoding: tail, as: UTF8.self) }
                pieces.append(contentsOf: tail)
                return String(decoding: pieces, as: UTF8.self)
            }
            if byte == UInt8(ascii: "\\") {
                guard index + 1 < bytes.count, bytes[index + 1] == UInt8(ascii: "/") else { return nil }
                pieces.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[start..<index]))
                pieces.append(UInt8(ascii: "/"))
                escaped = true
                index += 2
                start = index
                continue
            }
            guard byte >= 0x20, byte < 0x7F else { return nil }
            index += 1
        }
        return nil
    }

    /// A number as JSON writes it: `-`, integer digits (no leading zero), an optional fraction
    /// and exponent.
    package mutating func number() -> Double? {
        let start = index
        func digits() -> Int {
            let from = index
            while index < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[index]) { index += 1 }
            return index - from
        }
        _ = take(UInt8(ascii: "-"))
        if !take(UInt8(ascii: "0")) {
            guard digits() > 0 else { return nil }
        }
        if take(UInt8(ascii: ".")) {
            guard digits() > 0 else { return nil }
        }
        if take(UInt8(ascii: "e")) || take(UInt8(ascii: "E")) {
            if !take(UInt8(ascii: "+")) { _ = take(UInt8(ascii: "-")) }
            guard digits() > 0 else { return nil }
        }
        return Double(String(decoding: UnsafeRawBufferPointer(rebasing: bytes[start..<index]), as: UTF8.self))
    }

    /// `null`.
    package mutating func null() -> Bool {
        guard bytes.count - index >= 4, bytes[index..<index + 4].elementsEqual("null".utf8) else { return false }
        index += 4
        return true
    }

    private mutating func take(_ byte: UInt8) -> Bool {
        guard index < bytes.count, bytes[index] == byte else { return false }
        index += 1
        return true
    }

    private mutating func skipSpace() {
        while index < bytes.count, [0x20, 0x09, 0x0A, 0x0D].contains(bytes[index]) { index += 1 }
    }
}
