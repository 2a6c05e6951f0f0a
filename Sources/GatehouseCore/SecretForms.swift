import Foundation

/// The forms a secret may be written in by a provider that quotes or echoes it: itself,
/// percent-encoded (as a form or a query carried it, with the hex in either case), base64 and
/// base64url (with or without padding).
enum SecretForms {
    /// `secret` in each form, without repeats.
    static func of(_ secret: String) -> [String] {
        let escaped = FormEncoding.escape(secret)
        let base64 = Data(secret.utf8).base64EncodedString()
        let unpadded = base64.trimmingCharacters(in: ["="])
        let url = unpadded.replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
        var seen = Set<String>()
        return [secret, escaped, lowercasingHex(escaped), base64, unpadded, url].filter { seen.insert($0).inserted }
    }

    /// A percent-encoded text with the two hex digits after each `%` in lower case.
    static func lowercasingHex(_ escaped: String) -> String {
        var out = ""
        var pending = 0
        for character in escaped {
            if pending > 0 {
                out += character.lowercased()
                pending -= 1
            } else {
                out.append(character)
                if character == "%" { pending = 2 }
            }
        }
        return out
    }
}
