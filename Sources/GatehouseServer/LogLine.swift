import Logging

/// The two shapes of a log line. Metadata keys are written sorted, so lines diff cleanly; a key
/// that would shadow one of the line's own (`time`, `level`, `logger`, `msg`) gets a `meta_` prefix.
enum LogLine {
    private static let reserved: Set<String> = ["time", "level", "logger", "msg"]

    /// `{"time":"…","level":"info","logger":"gatehouse","msg":"…","key":…}`: numbers and booleans
    /// given as such stay JSON numbers and booleans.
    static func json(
        time: String, level: Logger.Level, label: String, message: String, _ metadata: Logger.Metadata
    ) -> String {
        var line = "{\"time\":\"\(time)\",\"level\":\"\(level.rawValue)\",\"logger\":"
        appendJSONString(label, to: &line)
        line += ",\"msg\":"
        appendJSONString(message, to: &line)
        for key in metadata.keys.sorted() {
            line += ","
            appendJSONString(reserved.contains(key) ? "meta_" + key : key, to: &line)
            line += ":"
            appendJSON(metadata[key]!, to: &line)
        }
        line += "}"
        return line
    }

    /// `time=… level=info msg="…" key=value`, values quoted when empty or when they hold a space,
    /// a quote, `=` or a control character.
    static func text(time: String, level: Logger.Level, message: String, _ metadata: Logger.Metadata) -> String {
        var line = "time=\(time) level=\(level.rawValue) msg="
        appendTextValue(message, to: &line)
        for key in metadata.keys.sorted() {
            line += " " + (reserved.contains(key) ? "meta_" + key : key) + "="
            appendTextValue(textValue(metadata[key]!), to: &line)
        }
        return line
    }

    private static func appendJSON(_ value: Logger.Metadata.Value, to line: inout String) {
        switch value {
        case .string(let string):
            appendJSONString(string, to: &line)
        case .stringConvertible(let convertible):
            switch convertible {
            case let number as Int: line += String(number)
            case let number as Double where number.isFinite: line += String(number)
            case let flag as Bool: line += flag ? "true" : "false"
            default: appendJSONString(convertible.description, to: &line)
            }
        case .dictionary(let dictionary):
            line += "{"
            for (index, key) in dictionary.keys.sorted().enumerated() {
                if index > 0 { line += "," }
                appendJSONString(key, to: &line)
                line += ":"
                appendJSON(dictionary[key]!, to: &line)
            }
            line += "}"
        case .array(let array):
            line += "["
            for (index, element) in array.enumerated() {
                if index > 0 { line += "," }
                appendJSON(element, to: &line)
            }
            line += "]"
        }
    }

    static func appendJSONString(_ string: String, to line: inout String) {
        line += "\""
        for scalar in string.unicodeScalars {
            switch scalar {
            case "\"": line += "\\\""
            case "\\": line += "\\\\"
            case "\n": line += "\\n"
            case "\r": line += "\\r"
            case "\t": line += "\\t"
            case _ where scalar.value < 0x20 || scalar.value == 0x7F:
                let hex = String(scalar.value, radix: 16)
                line += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: line.unicodeScalars.append(scalar)
            }
        }
        line += "\""
    }

    private static func textValue(_ value: Logger.Metadata.Value) -> String {
        switch value {
        case .string(let string): string
        case .stringConvertible(let convertible): convertible.description
        case .dictionary, .array: value.description
        }
    }

    static func appendTextValue(_ value: String, to line: inout String) {
        let plain =
            !value.isEmpty
            && value.unicodeScalars.allSatisfy { $0.value > 0x20 && $0.value != 0x7F && $0 != "\"" && $0 != "=" && $0 != "\\" }
        if plain {
            line += value
        } else {
            // The same escapes as JSON, so a quoted value reads back with any JSON string parser.
            appendJSONString(value, to: &line)
        }
    }
}
