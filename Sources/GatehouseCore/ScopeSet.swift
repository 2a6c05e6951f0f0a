import Foundation

/// The scope algebra: coverage, unions and the rendering of `{{scopes}}`/`{{existing_scopes}}`.
///
/// Scopes are opaque strings compared exactly, as UTF-8 bytes (Swift's `==` on `String` treats
/// canonically equivalent spellings as equal; providers and the store do not); Gatehouse
/// knows no hierarchies.
package enum ScopeSet {
    /// Splits a provider's scope string on the delimiter and on white space, dropping empties.
    package static func parse(_ text: String, delimiter: String = " ") -> [String] {
        let separators = Set(delimiter + " \t\n")
        return normalize(text.split(whereSeparator: { separators.contains($0) }).map(String.init))
    }

    /// Drops empty and repeated scopes, keeping first-seen order.
    package static func normalize(_ scopes: [String]) -> [String] {
        // The hot path sees a few scopes: comparing them pairwise costs less than hashing.
        let few = scopes.count <= 16
        var seen = Set<[UInt8]>()
        var result: [String] = []
        result.reserveCapacity(scopes.count)
        for scope in scopes {
            let trimmed = isTrimmed(scope) ? scope : scope.trimmingCharacters(in: .whitespaces)
            guard !trimmed.isEmpty else { continue }
            let fresh =
                few ? !result.contains { sameBytes($0, trimmed) } : seen.insert(Array(trimmed.utf8)).inserted
            if fresh { result.append(trimmed) }
        }
        return result
    }

    /// Whether `trimmingCharacters(in: .whitespaces)` would leave the text as it is.
    private static func isTrimmed(_ text: String) -> Bool {
        guard let first = text.unicodeScalars.first, let last = text.unicodeScalars.last else { return true }
        return !CharacterSet.whitespaces.contains(first) && !CharacterSet.whitespaces.contains(last)
    }

    /// Whether `granted` includes every requested scope; an empty request is always covered.
    package static func covers(granted: [String], requested: [String]) -> Bool {
        if requested.count * granted.count <= 256 {
            return requested.allSatisfy { scope in granted.contains { sameBytes($0, scope) } }
        }
        return Set(requested.map { Array($0.utf8) }).isSubset(of: Set(granted.map { Array($0.utf8) }))
    }

    /// The scopes to record for a grant whose answer named `answered`: those, and each of
    /// `requested` that the answer names under `rules` (by an alias, in another case, or not at
    /// all for a scope every consent grants). A requested scope the answer names by no rule
    /// stays ungranted: the user may have declined it.
    package static func granted(answered: [String], requested: [String], rules: ScopeAnswerRules) -> [String] {
        guard rules != .exact else { return normalize(answered) }
        return union(answered, requested.filter { rules.answerNames($0, in: answered) })
    }

    /// The union of two scope lists, first list first.
    package static func union(_ first: [String], _ second: [String]) -> [String] {
        normalize(first + second)
    }

    /// The scopes in `granted` that were not requested again: `{{existing_scopes}}`.
    package static func existing(granted: [String], requested: [String]) -> [String] {
        let asked = Set(requested.map { Array($0.utf8) })
        return normalize(granted.filter { !asked.contains(Array($0.utf8)) })
    }

    /// A canonical key for a scope set: sorted, unique, joined by spaces.
    package static func key(_ scopes: [String]) -> String {
        normalize(scopes).sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }.joined(separator: " ")
    }

    /// Whether two identifiers (user ids, scopes) are the same bytes.
    package static func sameBytes(_ a: String, _ b: String) -> Bool {
        a.utf8.elementsEqual(b.utf8)
    }

    /// Whether text holds a control character (C0, DEL, C1), which no identifier may.
    package static func hasControlCharacter(_ text: String) -> Bool {
        // Printable ASCII, the usual case, has none; anything else is asked of Unicode.
        if text.utf8.allSatisfy({ (0x20..<0x7F).contains($0) }) { return false }
        return text.unicodeScalars.contains { $0.properties.generalCategory == .control }
    }

    /// Whether a scope is printable ASCII without a comma or a space (which makes it valid,
    /// whatever its length up to 512): the case the hot path sees, checked byte by byte.
    package static func isPlainASCII(_ scope: String) -> Bool {
        scope.utf8.count <= 512 && scope.utf8.allSatisfy { $0 > 0x20 && $0 < 0x7F && $0 != UInt8(ascii: ",") }
    }
}
