/// The patterns of Yams' default resolver for plain scalars (`Resolver.Rule.bool`, `.int`,
/// `.float`, `.null`), matched by hand over UTF-8 bytes. `YAMLReaderTests` checks them against
/// the patterns themselves.
enum YAMLScalarRules {
    private static let bools: Set<String> = [
        "yes", "Yes", "YES", "no", "No", "NO", "true", "True", "TRUE", "false", "False", "FALSE", "on", "On", "ON",
        "off", "Off", "OFF",
    ]

    static func isBool(_ s: [UInt8]) -> Bool {
        s.count <= 5 && bools.contains(String(decoding: s, as: UTF8.self))
    }

    static func isNull(_ s: [UInt8]) -> Bool {
        switch String(decoding: s, as: UTF8.self) {
        case "", "~", "null", "Null", "NULL": true
        default: false
        }
    }

    /// `[-+]?0b[0-1_]+ | [-+]?0o?[0-7_]+ | [-+]?(?:0|[1-9][0-9_]*) | [-+]?0x[0-9a-fA-F_]+ |
    /// [-+]?[1-9][0-9_]*(?::[0-5]?[0-9])+`
    static func isInt(_ s: [UInt8]) -> Bool {
        let body = s.first == UInt8(ascii: "+") || s.first == UInt8(ascii: "-") ? s.dropFirst() : s[...]
        guard let first = body.first else { return false }
        if first == UInt8(ascii: "0") {
            let rest = body.dropFirst()
            if rest.isEmpty { return true }
            switch rest.first {
            case UInt8(ascii: "b"): return rest.count > 1 && rest.dropFirst().allSatisfy { isBinary($0) || $0 == underscore }
            case UInt8(ascii: "x"): return rest.count > 1 && rest.dropFirst().allSatisfy { isHex($0) || $0 == underscore }
            case UInt8(ascii: "o"): return rest.count > 1 && rest.dropFirst().allSatisfy { isOctal($0) || $0 == underscore }
            default: return rest.allSatisfy { isOctal($0) || $0 == underscore }
            }
        }
        guard isDigit(first), first != UInt8(ascii: "0") else { return false }
        let parts = body.split(separator: colon, omittingEmptySubsequences: false)
        guard parts[0].allSatisfy({ isDigit($0) || $0 == underscore }) else { return false }
        return parts.dropFirst().allSatisfy(isSexagesimalGroup)
    }

    /// `[-+]?(?:[0-9][0-9_]*)(?:\.[0-9_]*)?(?:[eE][-+]?[0-9]+)? | \.[0-9_]+(?:[eE][-+][0-9]+)? |
    /// [-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]* | [-+]?\.(?:inf|Inf|INF) | \.(?:nan|NaN|NAN)`
    static func isFloat(_ s: [UInt8]) -> Bool {
        switch String(decoding: s, as: UTF8.self) {
        case ".nan", ".NaN", ".NAN", ".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF", "-.inf", "-.Inf", "-.INF":
            return true
        default: break
        }
        if s.first == dot {
            // `.5`, `.5e+3`: no sign before the dot, and a sign is needed in the exponent.
            let (mantissa, exponent) = splitExponent(s.dropFirst())
            guard !mantissa.isEmpty, mantissa.allSatisfy({ isDigit($0) || $0 == underscore }) else { return false }
            guard let exponent else { return true }
            return exponent.count > 1 && (exponent.first == plus || exponent.first == minus)
                && exponent.dropFirst().allSatisfy(isDigit)
        }
        let body = s.first == plus || s.first == minus ? s.dropFirst() : s[...]
        guard let first = body.first, isDigit(first) else { return false }
        if body.contains(colon) {
            // Sexagesimal: `190:20:30.15`.
            guard let point = body.firstIndex(of: dot) else { return false }
            guard body[(point + 1)...].allSatisfy({ isDigit($0) || $0 == underscore }) else { return false }
            let parts = body[..<point].split(separator: colon, omittingEmptySubsequences: false)
            return parts.count > 1 && parts[0].allSatisfy { isDigit($0) || $0 == underscore }
                && parts.dropFirst().allSatisfy(isSexagesimalGroup)
        }
        let (mantissa, exponent) = splitExponent(body)
        if let exponent {
            let digits = exponent.first == plus || exponent.first == minus ? exponent.dropFirst() : exponent
            guard !digits.isEmpty, digits.allSatisfy(isDigit) else { return false }
        }
        let halves = mantissa.split(separator: dot, maxSplits: 1, omittingEmptySubsequences: false)
        return halves.allSatisfy { $0.allSatisfy { isDigit($0) || $0 == underscore } }
    }

    private static func splitExponent(_ s: ArraySlice<UInt8>) -> (ArraySlice<UInt8>, ArraySlice<UInt8>?) {
        guard let e = s.firstIndex(where: { $0 == UInt8(ascii: "e") || $0 == UInt8(ascii: "E") }) else { return (s, nil) }
        return (s[..<e], s[(e + 1)...])
    }

    /// `[0-5]?[0-9]`
    private static func isSexagesimalGroup(_ group: ArraySlice<UInt8>) -> Bool {
        switch group.count {
        case 1: isDigit(group[group.startIndex])
        case 2: (UInt8(ascii: "0")...UInt8(ascii: "5")).contains(group[group.startIndex]) && isDigit(group[group.startIndex + 1])
        default: false
        }
    }

    private static let underscore = UInt8(ascii: "_")
    private static let colon = UInt8(ascii: ":")
    private static let dot = UInt8(ascii: ".")
    private static let plus = UInt8(ascii: "+")
    private static let minus = UInt8(ascii: "-")
    private static func isDigit(_ c: UInt8) -> Bool { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(c) }
    private static func isOctal(_ c: UInt8) -> Bool { (UInt8(ascii: "0")...UInt8(ascii: "7")).contains(c) }
    private static func isBinary(_ c: UInt8) -> Bool { c == UInt8(ascii: "0") || c == UInt8(ascii: "1") }
    private static func isHex(_ c: UInt8) -> Bool {
        isDigit(c) || (UInt8(ascii: "a")...UInt8(ascii: "f")).contains(c) || (UInt8(ascii: "A")...UInt8(ascii: "F")).contains(c)
    }
}
