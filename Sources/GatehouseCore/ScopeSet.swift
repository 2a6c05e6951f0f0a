import Foundation

/// The scope algebra: coverage, unions and the rendering of `{{scopes}}`/`{{existing_scopes}}`.
///
/// Scopes are opaque strings compared exactly; Gatehouse knows no hierarchies.
public enum ScopeSet {
    /// Splits a provider's scope string on the delimiter and on white space, dropping empties.
    public static func parse(_ text: String, delimiter: String = " ") -> [String] {
        let separators = Set(delimiter + " \t\n")
        return normalize(text.split(whereSeparator: { separators.contains($0) }).map(String.init))
    }

    /// Drops empty and repeated scopes, keeping first-seen order.
    public static func normalize(_ scopes: [String]) -> [String] {
        var seen = Set<String>()
        var result: [String] = []
        for scope in scopes {
            let trimmed = scope.trimmingCharacters(in: .whitespaces)
            if !trimmed.isEmpty, seen.insert(trimmed).inserted { result.append(trimmed) }
        }
        return result
    }

    /// Whether `granted` includes every requested scope; an empty request is always covered.
    public static func covers(granted: [String], requested: [String]) -> Bool {
        Set(requested).isSubset(of: Set(granted))
    }

    /// The union of two scope lists, first list first.
    public static func union(_ first: [String], _ second: [String]) -> [String] {
        normalize(first + second)
    }

    /// The scopes in `granted` that were not requested again: `{{existing_scopes}}`.
    public static func existing(granted: [String], requested: [String]) -> [String] {
        let asked = Set(requested)
        return normalize(granted.filter { !asked.contains($0) })
    }

    /// A canonical key for a scope set: sorted, unique, joined by spaces.
    public static func key(_ scopes: [String]) -> String {
        Set(normalize(scopes)).sorted().joined(separator: " ")
    }
}
