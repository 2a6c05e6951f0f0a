import Foundation

/// A provider's error text with the secrets its request carried taken out: it reaches logs,
/// `status_reason` and apps. A token endpoint may quote what it refused, as it was sent or in a
/// form of its own making: percent-encoded with hex in either case, base64, HTML entities, or in
/// another letter case.
enum ProviderTextRedaction {
    /// What replaces a secret.
    static let mark = "[redacted]"
    /// What replaces the whole text when a secret still shows in it once decoded.
    static let withheld = "[withheld: the provider's text quoted a secret of the request]"

    /// `text` with every form of a secret of 4 characters or more that can be found in place
    /// replaced (the longest first, so that a short one inside a longer one does not leave the
    /// rest showing); withheld whole when one of 8 or more still shows after decoding
    /// (percent-encoding, HTML entities) or in another case.
    static func redacting(_ text: String, _ secrets: [String]) -> String {
        let secrets = Set(secrets.filter { $0.count >= 4 })
        guard !secrets.isEmpty else { return text }
        let forms = Set(secrets.flatMap(SecretForms.of))
        var result = forms.sorted { $0.count > $1.count }.reduce(text) { $0.replacingOccurrences(of: $1, with: mark) }
        // Percent-encoded with the hex in mixed case (RFC 3986 §2.1 takes all cases as equal).
        for escaped in secrets.map(FormEncoding.escape).filter({ $0.contains("%") }).sorted(by: { $0.count > $1.count }) {
            result = result.replacingOccurrences(of: escaped, with: mark, options: .caseInsensitive)
        }
        let views = [result, result.removingPercentEncoding ?? result, decodingEntities(result)].map { $0.lowercased() }
        let long = secrets.filter { $0.count >= 8 }.map { $0.lowercased() }
        return long.contains { secret in views.contains { $0.contains(secret) } } ? withheld : result
    }

    /// `text` with HTML's numeric character references (`&#47;`, `&#x2F;`) and the common named
    /// ones decoded.
    static func decodingEntities(_ text: String) -> String {
        guard text.contains("&") else { return text }
        var out = ""
        var rest = Substring(text)
        let named: [Substring: Character] = [
            "amp": "&", "lt": "<", "gt": ">", "quot": "\"", "apos": "'", "sol": "/", "equals": "=", "plus": "+",
            "colon": ":", "period": ".",
        ]
        while let ampersand = rest.firstIndex(of: "&") {
            out += rest[..<ampersand]
            rest = rest[ampersand...]
            let body = rest.dropFirst().prefix { $0 != ";" && $0 != "&" }
            guard body.count <= 10, rest.dropFirst(1 + body.count).first == ";" else {
                out.append("&")
                rest = rest.dropFirst()
                continue
            }
            let decoded: Character? =
                if body.hasPrefix("#x") || body.hasPrefix("#X") {
                    UInt32(body.dropFirst(2), radix: 16).flatMap(Unicode.Scalar.init).map(Character.init)
                } else if body.hasPrefix("#") {
                    UInt32(body.dropFirst()).flatMap(Unicode.Scalar.init).map(Character.init)
                } else {
                    named[body]
                }
            if let decoded {
                out.append(decoded)
                rest = rest.dropFirst(2 + body.count)
            } else {
                out.append("&")
                rest = rest.dropFirst()
            }
        }
        return out + rest
    }
}
