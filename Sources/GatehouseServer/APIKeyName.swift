import GatehouseCore

/// The rule for an API key's name, the same from the dashboard and `gatehouse keys create`: it
/// shows in lists and terminals, so it is 1 to 100 characters of text, without control
/// characters (a terminal escape in a name would run in `gatehouse keys list`).
package enum APIKeyName {
    /// The name as stored (trimmed of spaces), or nil for one the rule refuses.
    package static func validated(_ name: String) -> String? {
        let trimmed = name.trimmingCharacters(in: .whitespaces)
        guard !trimmed.isEmpty, trimmed.count <= 100, !ScopeSet.hasControlCharacter(trimmed) else { return nil }
        return trimmed
    }
}
