import Logging

/// The line per request, written by hand in a fixed field order (`time level msg method route
/// status duration_ms request_id`, then `key_id` when an API key was accepted and `client`, the
/// peer's address, when known) in the server's log format, at `info`. It is the same line
/// `LineLogHandler` would write, without building and sorting a metadata dictionary per request:
/// this runs on every call of the hot path.
package final class RequestLog: Sendable {
    private let format: LineLogHandler.Format
    private let enabled: Bool
    private let output: LineOutput

    /// Request lines in `format`, when `level` lets `info` lines through.
    package init(format: LineLogHandler.Format, level: Logger.Level, output: LineOutput = .standardError) {
        self.format = format
        self.enabled = level <= .info
        self.output = output
    }

    /// No request lines.
    package static let off = RequestLog(format: .text, level: .critical)

    func record(
        method: String, route: String, status: Int, milliseconds: Double, requestID: String, keyID: String? = nil,
        client: String? = nil
    ) {
        guard enabled else { return }
        let time = LineLogHandler.timestamp()
        var line: String
        switch format {
        case .json:
            line = "{\"time\":\"\(time)\",\"level\":\"info\",\"logger\":\"gatehouse\",\"msg\":\"request\",\"method\":"
            LogLine.appendJSONString(method, to: &line)
            line += ",\"route\":"
            LogLine.appendJSONString(route, to: &line)
            line += ",\"status\":\(status),\"duration_ms\":\(milliseconds),\"request_id\":"
            LogLine.appendJSONString(requestID, to: &line)
        case .text:
            line = "time=\(time) level=info msg=request method="
            LogLine.appendTextValue(method, to: &line)
            line += " route="
            LogLine.appendTextValue(route, to: &line)
            line += " status=\(status) duration_ms=\(milliseconds) request_id="
            LogLine.appendTextValue(requestID, to: &line)
        }
        append("key_id", keyID, to: &line)
        append("client", client, to: &line)
        if format == .json { line += "}" }
        output.write(line, urgent: false)
    }

    /// Appends a field that a request line has only when it is known.
    private func append(_ name: String, _ value: String?, to line: inout String) {
        guard let value else { return }
        switch format {
        case .json:
            line += ",\"\(name)\":"
            LogLine.appendJSONString(value, to: &line)
        case .text:
            line += " \(name)="
            LogLine.appendTextValue(value, to: &line)
        }
    }
}
