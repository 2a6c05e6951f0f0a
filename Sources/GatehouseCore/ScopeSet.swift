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
        var seen = Set<[UInt8]>()
        var result: [String] = []
        for scope in scopes {
            let trimmed = scope.trimmingCharacters(in: .whitespaces)
            if !trimmed.isEmpty, seen.insert(Array(trimmed.utf8)).inserted { result.append(trimmed) }
        }
        return result
    }

    /// Whether `granted` includes every requested scope; an empty request is always covered.
    package static func covers(granted: [String], requested: [String]) -> Bool {
        Set(requested.map { Array($0.utf8) }).isSubset(of: Set(granted.map { Array($0.utf8) }))
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
        text.unicodeScalars.contains { $0.properties.generalCategory == .control }
    }
}
