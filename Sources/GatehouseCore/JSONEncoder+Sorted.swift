import Foundation

extension JSONEncoder {
    /// Sorted keys, unescaped slashes: the one JSON spelling of stored templates and API bodies.
    package static var sorted: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }
}
