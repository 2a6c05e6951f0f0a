import Foundation
import Yams

/// Reads YAML into plain values as `Yams.load` does with its default resolver: the same rules for
/// booleans (`yes`, `on`, `true`...), integers, floats and nulls, and `<<` merge keys; only
/// timestamps stay strings. It does so without that resolver, which compiles its nine patterns
/// with ICU's regular expression engine on first use: about 2 MB of resident memory for every
/// server, for reading 29 provider files and a config file once at start.
package enum YAMLReader {
    /// YAML that parses but that this reader does not turn into values.
    package struct Unsupported: Error, CustomStringConvertible {
        /// What it is, and where.
        package let description: String
    }

    /// Text that is not YAML: where and why, without the text. Yams' own description quotes the
    /// offending line, which in a config or provider file may hold a secret (a tab for
    /// indentation on the line of a `client_secret` is enough).
    package struct Invalid: Error, CustomStringConvertible {
        /// The line, the column and the problem.
        package let description: String
    }

    static func problem(_ error: any Error) -> String {
        switch error as? YamlError {
        case .scanner(let context, let problem, let mark, _)?, .parser(let context, let problem, let mark, _)?,
            .composer(let context, let problem, let mark, _)?:
            let within = context.map { " (\($0.text) at line \($0.mark.line), column \($0.mark.column))" } ?? ""
            return "line \(mark.line), column \(mark.column): \(problem)\(within)"
        case .reader(let problem, let offset, _, _)?:
            return problem + (offset.map { " at character \($0)" } ?? "")
        case .duplicatedKeysInMapping(let duplicates, let context)?:
            return "duplicated keys \(duplicates.sorted().joined(separator: ", ")) at line \(context.mark.line)"
        default:
            return "\(error)"
        }
    }

    /// The first document of `text`: `[String: Any]`, `[Any]`, `String`, `Int`, `Double`, `Bool`
    /// or `NSNull`, nested; nil when there is no document.
    package static func load(_ text: String) throws -> Any? {
        let composed: Node?
        do {
            composed = try Yams.compose(yaml: text, .basic, .default)
        } catch {
            throw Invalid(description: problem(error))
        }
        guard let node = composed else { return nil }
        return try value(of: node)
    }

    private static func value(of node: Node) throws -> Any {
        switch node {
        case .scalar(let scalar):
            // Quoted, block and explicitly tagged scalars are what they say; only plain ones
            // are resolved by their look.
            guard scalar.style == .plain, scalar.tag.rawValue == Tag.Name.implicit.rawValue else { return node.any }
            return resolve(scalar.string)
        case .mapping(let mapping):
            var result: [String: Any] = [:]
            for (key, value) in try flatten(mapping) {
                guard case .scalar(let scalar) = key else {
                    throw Unsupported(description: "a mapping key must be a scalar")
                }
                result[scalar.string] = try self.value(of: value)
            }
            return result
        case .sequence(let sequence):
            return try sequence.map { try value(of: $0) }
        case .alias:
            throw Unsupported(description: "an unresolved alias")
        }
    }

    /// The pairs of a mapping with `<<` merges spread in, before the mapping's own pairs so those
    /// win, as Yams orders them.
    private static func flatten(_ mapping: Node.Mapping) throws -> [(key: Node, value: Node)] {
        var merged: [(key: Node, value: Node)] = []
        var own: [(key: Node, value: Node)] = []
        for pair in mapping {
            guard case .scalar(let key) = pair.key, key.style == .plain, key.string == "<<" else {
                own.append(pair)
                continue
            }
            switch pair.value {
            case .mapping(let inner):
                merged += try flatten(inner)
            case .sequence(let sequence):
                for case .mapping(let inner) in sequence.reversed() { merged += try flatten(inner) }
            default:
                break
            }
        }
        return merged + own
    }

    /// A plain scalar by the rules of Yams' default resolver, in its order: bool, int, float,
    /// null; anything else (timestamps included) is a string.
    static func resolve(_ string: String) -> Any {
        let bytes = Array(string.utf8)
        let tag: Tag.Name
        if YAMLScalarRules.isBool(bytes) {
            tag = .bool
        } else if YAMLScalarRules.isInt(bytes) {
            tag = .int
        } else if YAMLScalarRules.isFloat(bytes) {
            tag = .float
        } else if YAMLScalarRules.isNull(bytes) {
            return NSNull()
        } else {
            return string
        }
        let scalar = Node.Scalar(string, Tag(tag, .basic, .default), .plain)
        switch tag {
        case .bool: return Bool.construct(from: scalar) ?? string
        case .int: return Int.construct(from: scalar) ?? string
        default: return Double.construct(from: scalar) ?? string
        }
    }
}
