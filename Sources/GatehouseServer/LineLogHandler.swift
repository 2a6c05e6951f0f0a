import Foundation
import Logging

/// Writes each log record as one line: a JSON object (`log.format: json`), or logfmt
/// (`time=… level=info msg="…" key=value`, the default). Metadata comes from the logger, then its
/// metadata provider (the request id), then the call, later ones winning.
package struct LineLogHandler: LogHandler {
    /// How a line is written.
    package enum Format: String, Sendable, CaseIterable {
        /// One JSON object per line.
        case json
        /// logfmt: `key=value` pairs, values quoted when they need it.
        case text
    }

    /// The logger's own metadata.
    package var metadata: Logger.Metadata = [:]
    /// Metadata from the task, such as the request id.
    package var metadataProvider: Logger.MetadataProvider?
    /// The lowest level written.
    package var logLevel: Logger.Level = .info
    private let label: String
    private let format: Format
    private let output: LineOutput

    /// A handler for `label`, writing to `output` (standard error unless a test gives another).
    package init(
        label: String, format: Format, metadataProvider: Logger.MetadataProvider? = nil,
        output: LineOutput = .standardError
    ) {
        self.label = label
        self.format = format
        self.metadataProvider = metadataProvider
        self.output = output
    }

    /// The logger's metadata value for `key`.
    package subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    /// Writes one record.
    package func log(event: LogEvent) {
        var merged = metadata
        if let provided = metadataProvider?.get() { merged.merge(provided) { _, new in new } }
        if let own = event.metadata { merged.merge(own) { _, new in new } }
        if let error = event.error { merged["error"] = .string(String(describing: error)) }
        // Hummingbird's own id for the request is `request_id` already (RequestObserverMiddleware).
        if merged["request_id"] != nil { merged["hb.request.id"] = nil }
        let time = Self.timestamp()
        let line =
            switch format {
            case .json: LogLine.json(time: time, level: event.level, label: label, message: "\(event.message)", merged)
            case .text: LogLine.text(time: time, level: event.level, message: "\(event.message)", merged)
            }
        output.write(line, urgent: event.level >= .notice)
    }

    /// Now, as RFC 3339 in UTC with milliseconds: `2026-12-01T20:31:31.123Z`.
    static func timestamp() -> String {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        var seconds = now.tv_sec
        var parts = tm()
        gmtime_r(&seconds, &parts)
        var text = [UInt8]()
        text.reserveCapacity(24)
        func digits(_ value: Int, _ count: Int) {
            var divisor = 1
            for _ in 1..<count { divisor *= 10 }
            while divisor > 0 {
                text.append(UInt8(ascii: "0") + UInt8((value / divisor) % 10))
                divisor /= 10
            }
        }
        digits(Int(parts.tm_year) + 1900, 4)
        text.append(UInt8(ascii: "-"))
        digits(Int(parts.tm_mon) + 1, 2)
        text.append(UInt8(ascii: "-"))
        digits(Int(parts.tm_mday), 2)
        text.append(UInt8(ascii: "T"))
        digits(Int(parts.tm_hour), 2)
        text.append(UInt8(ascii: ":"))
        digits(Int(parts.tm_min), 2)
        text.append(UInt8(ascii: ":"))
        digits(Int(parts.tm_sec), 2)
        text.append(UInt8(ascii: "."))
        digits(Int(now.tv_nsec) / 1_000_000, 3)
        text.append(UInt8(ascii: "Z"))
        return String(decoding: text, as: UTF8.self)
    }
}
