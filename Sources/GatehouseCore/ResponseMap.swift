import Foundation
import GatehouseWire

/// Evaluates Arcade's `response_map` expressions against a provider's JSON response:
/// JSONPath (`$.a.b[0]`, `$['a']`), `join('<path>', '<delimiter>')` and
/// `jwt_decode('<token path>', '<claim path>')`, which compose.
package enum ResponseMap {
    /// Applies a map: each output key gets the value of its expression, when present.
    package static func apply(_ map: [String: String], to document: JSONValue) throws -> [String: JSONValue] {
        var result: [String: JSONValue] = [:]
        for (key, expression) in map {
            if let value = try evaluate(expression, in: document) { result[key] = value }
        }
        return result
    }

    /// Evaluates one expression; nil when the path finds nothing.
    package static func evaluate(_ expression: String, in document: JSONValue) throws -> JSONValue? {
        var parser = ExpressionParser(text: expression)
        let value = try parser.parseExpression(in: document)
        parser.skipSpaces()
        guard parser.atEnd else {
            throw GatehouseError.invalid("response_map expression '\(expression)' has unexpected text at offset \(parser.offset)")
        }
        return value
    }

    /// Checks an expression's syntax without a document, for validating templates.
    package static func validate(_ expression: String) throws {
        _ = try evaluate(expression, in: .object([:]))
    }

    /// One step of a JSONPath: a member by name, or an element by index (negative from the end).
    package enum PathStep: Equatable, Sendable {
        case member(String)
        case index(Int)
    }

    /// The steps of a JSONPath (`$`, `.name`, `['name']`, `[index]`), read as `select` reads
    /// them; the template checks read paths with it too, so that no spelling `select` takes
    /// (`[ 'name' ]`) reads differently there.
    package static func steps(of path: String) throws -> [PathStep] {
        var chars = Substring(path.trimmingCharacters(in: .whitespaces))
        guard chars.first == "$" else {
            throw GatehouseError.invalid("JSONPath '\(path)' must start with '$'")
        }
        chars = chars.dropFirst()
        var steps: [PathStep] = []
        while let first = chars.first {
            if first == "." {
                chars = chars.dropFirst()
                let name = chars.prefix { $0 != "." && $0 != "[" }
                guard !name.isEmpty else { throw GatehouseError.invalid("JSONPath '\(path)' has an empty member name") }
                chars = chars.dropFirst(name.count)
                steps.append(.member(String(name)))
            } else if first == "[" {
                guard let close = chars.firstIndex(of: "]") else {
                    throw GatehouseError.invalid("JSONPath '\(path)' has an unclosed '['")
                }
                let inner = chars[chars.index(after: chars.startIndex)..<close].trimmingCharacters(in: .whitespaces)
                chars = chars[chars.index(after: close)...]
                if let index = Int(inner) {
                    steps.append(.index(index))
                } else if inner.count >= 2, let quote = inner.first, quote == "'" || quote == "\"", inner.last == quote {
                    steps.append(.member(String(inner.dropFirst().dropLast())))
                } else {
                    throw GatehouseError.invalid("JSONPath '\(path)' has an unsupported selector '[\(inner)]'")
                }
            } else {
                throw GatehouseError.invalid("JSONPath '\(path)' has unexpected '\(first)'")
            }
        }
        return steps
    }

    /// Reads a JSONPath (`$`, `.name`, `['name']`, `[index]`) from a document.
    package static func select(path: String, in document: JSONValue) throws -> JSONValue? {
        var current: JSONValue? = document
        for step in try steps(of: path) {
            switch step {
            case .member(let name):
                current = current?.objectValue?[name]
            case .index(let index):
                if let array = current?.arrayValue {
                    let resolved = index < 0 ? array.count + index : index
                    current = array.indices.contains(resolved) ? array[resolved] : nil
                } else {
                    current = nil
                }
            }
        }
        if case .null? = current { return nil }
        return current
    }

    /// Decodes a JWT's payload without verifying it (the provider just handed it to us over TLS).
    static func jwtPayload(_ token: String) -> JSONValue? {
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count >= 2, let bytes = Base64URL.decode(String(parts[1])) else { return nil }
        return try? JSONDecoder().decode(JSONValue.self, from: Data(bytes))
    }
}

/// A small recursive-descent parser for response-map expressions.
private struct ExpressionParser {
    /// The deepest `join(`/`jwt_decode(` nesting taken. Each level is a frame of this parser's
    /// recursion: an admin's template nested thousands deep would overflow the stack, which ends
    /// the process. Arcade's own templates nest two deep.
    static let maxNesting = 16
    let text: [Character]
    var offset = 0
    var nesting = 0

    init(text: String) { self.text = Array(text) }

    var atEnd: Bool { offset >= text.count }

    mutating func skipSpaces() {
        while offset < text.count, text[offset].isWhitespace { offset += 1 }
    }

    mutating func parseExpression(in document: JSONValue) throws -> JSONValue? {
        skipSpaces()
        if consume("join(") {
            try enter()
            defer { nesting -= 1 }
            let source = try parseExpression(in: document)
            try expect(",")
            let delimiter = try parseString()
            try expect(")")
            guard let source else { return nil }
            if let array = source.arrayValue {
                return .string(array.compactMap(\.stringValue).joined(separator: delimiter))
            }
            return source
        }
        if consume("jwt_decode(") {
            try enter()
            defer { nesting -= 1 }
            let token = try parseExpression(in: document)
            try expect(",")
            let claimPath = try parseString()
            try expect(")")
            guard let token = token?.stringValue, let payload = ResponseMap.jwtPayload(token) else { return nil }
            return try ResponseMap.select(path: claimPath, in: payload)
        }
        if peek() == "'" || peek() == "\"" {
            return try ResponseMap.select(path: parseString(), in: document)
        }
        guard peek() == "$" else {
            throw GatehouseError.invalid("response_map expression '\(String(text))' must be a JSONPath, join() or jwt_decode()")
        }
        let start = offset
        var depth = 0
        while offset < text.count {
            let char = text[offset]
            if char == "[" { depth += 1 }
            if char == "]" { depth -= 1 }
            if depth == 0, char == "," || char == ")" || char.isWhitespace { break }
            offset += 1
        }
        return try ResponseMap.select(path: String(text[start..<offset]), in: document)
    }

    /// One level deeper into `join(`/`jwt_decode(`, if `maxNesting` allows.
    mutating func enter() throws {
        nesting += 1
        guard nesting <= Self.maxNesting else {
            throw GatehouseError.invalid(
                "response_map expression nests join() and jwt_decode() more than \(Self.maxNesting) deep")
        }
    }

    mutating func parseString() throws -> String {
        skipSpaces()
        guard let quote = peek(), quote == "'" || quote == "\"" else {
            throw GatehouseError.invalid("response_map expression '\(String(text))' expects a quoted string at offset \(offset)")
        }
        offset += 1
        let start = offset
        while offset < text.count, text[offset] != quote { offset += 1 }
        guard offset < text.count else {
            throw GatehouseError.invalid("response_map expression '\(String(text))' has an unclosed string")
        }
        let value = String(text[start..<offset])
        offset += 1
        return value
    }

    mutating func expect(_ token: Character) throws {
        skipSpaces()
        guard peek() == token else {
            throw GatehouseError.invalid("response_map expression '\(String(text))' expects '\(token)' at offset \(offset)")
        }
        offset += 1
    }

    mutating func consume(_ prefix: String) -> Bool {
        let chars = Array(prefix)
        guard offset + chars.count <= text.count, Array(text[offset..<offset + chars.count]) == chars else { return false }
        offset += chars.count
        return true
    }

    func peek() -> Character? { offset < text.count ? text[offset] : nil }
}
