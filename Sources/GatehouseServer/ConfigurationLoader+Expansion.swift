import Foundation

// `${env:NAME}` and `${file:path}` in the config file's values.
extension ConfigurationLoader {
    /// Expands `${env:NAME}` and `${file:path}` in every string.
    static func expand(
        _ value: Any, path: String, environment: [String: String], baseDirectory: String, secrets: inout Set<String>
    ) throws -> Any {
        switch value {
        case let object as [String: Any]:
            var result: [String: Any] = [:]
            for (key, child) in object {
                result[key] = try expand(
                    child, path: path.isEmpty ? key : "\(path).\(key)", environment: environment, baseDirectory: baseDirectory,
                    secrets: &secrets)
            }
            return result
        case let list as [Any]:
            var result: [Any] = []
            for (index, item) in list.enumerated() {
                result.append(
                    try expand(
                        item, path: "\(path)[\(index)]", environment: environment, baseDirectory: baseDirectory,
                        secrets: &secrets))
            }
            return result
        case let text as String:
            // A value that names its source is a secret by convention: keys, client secrets.
            if text.contains("${") { secrets.insert(path) }
            return try expand(string: text, path: path, environment: environment, baseDirectory: baseDirectory)
        default:
            return value
        }
    }

    static func expand(string text: String, path: String, environment: [String: String], baseDirectory: String) throws -> String {
        var output = ""
        var rest = Substring(text)
        while let open = rest.range(of: "${") {
            output += rest[..<open.lowerBound]
            guard let close = rest[open.upperBound...].firstIndex(of: "}") else {
                throw ConfigurationError(description: "\(path): unclosed '${' in '\(text)'")
            }
            let reference = rest[open.upperBound..<close]
            if reference.hasPrefix("env:") {
                let name = String(reference.dropFirst(4))
                guard let value = environment[name] else {
                    throw ConfigurationError(description: "\(path): environment variable \(name) is not set")
                }
                output += value
            } else if reference.hasPrefix("file:") {
                var file = String(reference.dropFirst(5))
                if !file.hasPrefix("/") { file = (baseDirectory as NSString).appendingPathComponent(file) }
                guard let contents = try? String(contentsOfFile: file, encoding: .utf8) else {
                    throw ConfigurationError(description: "\(path): cannot read file \(file)")
                }
                output += contents.trimmingCharacters(in: .whitespacesAndNewlines)
            } else {
                throw ConfigurationError(description: "\(path): '${\(reference)}' must be ${env:NAME} or ${file:path}")
            }
            rest = rest[rest.index(after: close)...]
        }
        return output + rest
    }
}
