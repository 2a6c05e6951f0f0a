import Foundation

/// Renders `{{placeholder}}` templates in provider parameters.
package struct TemplateRenderer: Sendable {
    /// The values placeholders stand for (`client_id`, `scopes`, `refresh_token`, ...).
    package var values: [String: String]
    /// The provider's scope delimiter, used to tidy parameters that carry scopes.
    package var scopeDelimiter: String

    /// Creates a renderer.
    package init(values: [String: String], scopeDelimiter: String = " ") {
        self.values = values
        self.scopeDelimiter = scopeDelimiter
    }

    /// Renders one template string: known placeholders become their values, unknown ones empty.
    /// A value carrying scopes is tidied: no repeated or dangling delimiters, no duplicates.
    package func render(_ template: String) -> String {
        var carriesScopes = false
        let output = Self.substitute(Substring(template)) { name in
            if name == "scopes" || name == "existing_scopes" { carriesScopes = true }
            return values[name] ?? ""
        }
        if carriesScopes {
            return ScopeSet.parse(output, delimiter: scopeDelimiter).joined(separator: scopeDelimiter)
        }
        return output
    }

    /// `template` with each `{{name}}` replaced by `value(name)` (the name trimmed of spaces);
    /// an unclosed `{{` is kept as it is.
    package static func substitute(_ template: Substring, _ value: (String) throws -> String) rethrows -> String {
        var output = ""
        var rest = template
        while let open = rest.range(of: "{{") {
            output += rest[..<open.lowerBound]
            guard let close = rest[open.upperBound...].range(of: "}}") else {
                return output + rest[open.lowerBound...]
            }
            output += try value(rest[open.upperBound..<close.lowerBound].trimmingCharacters(in: .whitespaces))
            rest = rest[close.upperBound...]
        }
        return output + rest
    }

    /// The placeholder names a template string uses, as `render` reads them.
    package static func placeholders(in template: String) -> [String] {
        var names: [String] = []
        var rest = Substring(template)
        while let open = rest.range(of: "{{"), let close = rest[open.upperBound...].range(of: "}}") {
            names.append(rest[open.upperBound..<close.lowerBound].trimmingCharacters(in: .whitespaces))
            rest = rest[close.upperBound...]
        }
        return names
    }

    /// Renders every parameter, dropping those that render empty.
    package func render(params: [String: String]?) -> [String: String] {
        var rendered: [String: String] = [:]
        for (name, template) in params ?? [:] {
            let value = render(template)
            if !value.isEmpty { rendered[name] = value }
        }
        return rendered
    }
}
