import Foundation
import Logging
import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#else
    import Darwin
#endif

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

/// Where log lines go. Lines at `info` and below are buffered and written together, at the
/// latest about `flushInterval` after the first of them (a line per request would otherwise be a
/// system call per request); a line at `notice` or above is written at once, with everything
/// buffered before it, so lines keep their order. A crash can lose at most that interval of
/// `info` lines. Each write is whole lines, so lines from many threads never interleave.
package final class LineOutput: Sendable {
    private struct Pending {
        var bytes: [UInt8] = []
        var lines: [String] = []
        var flushScheduled = false
    }

    private let descriptor: Int32
    private let capturing: Bool
    private let pending = Mutex(Pending())
    /// How long an `info` line may wait in the buffer.
    static let flushInterval: Duration = .milliseconds(200)
    /// Past this many buffered bytes, the buffer is written at once.
    static let bufferLimit = 64 * 1024

    private init(descriptor: Int32, capturing: Bool) {
        self.descriptor = descriptor
        self.capturing = capturing
    }

    /// The process's standard error.
    package static let standardError = LineOutput(descriptor: 2, capturing: false)

    /// Writes to `descriptor` (a pipe, in tests).
    package static func writing(to descriptor: Int32) -> LineOutput { LineOutput(descriptor: descriptor, capturing: false) }

    /// Keeps lines in memory instead, for tests.
    package static func capture() -> LineOutput { LineOutput(descriptor: -1, capturing: true) }

    /// The lines written so far, when capturing.
    package var lines: [String] { pending.withLock { $0.lines } }

    func write(_ line: String, urgent: Bool) {
        if capturing {
            pending.withLock { $0.lines.append(line) }
            return
        }
        // Written under the lock, so two flushes cannot swap the order of their lines.
        let schedule = pending.withLock { pending in
            pending.bytes.append(contentsOf: line.utf8)
            pending.bytes.append(UInt8(ascii: "\n"))
            if urgent || pending.bytes.count >= Self.bufferLimit {
                writeAll(pending.bytes)
                pending.bytes.removeAll(keepingCapacity: true)
                return false
            }
            defer { pending.flushScheduled = true }
            return !pending.flushScheduled
        }
        if schedule {
            Task.detached { [self] in
                try? await Task.sleep(for: Self.flushInterval)
                flush()
            }
        }
    }

    /// Writes whatever is buffered now (at shutdown, and when a flush falls due).
    package func flush() {
        pending.withLock { pending in
            if !pending.bytes.isEmpty { writeAll(pending.bytes) }
            pending.bytes.removeAll(keepingCapacity: true)
            pending.flushScheduled = false
        }
    }

    private func writeAll(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { buffer in
            var offset = 0
            while offset < buffer.count {
                let written = systemWrite(descriptor, buffer.baseAddress! + offset, buffer.count - offset)
                if written > 0 {
                    offset += written
                } else if written < 0, errno == EINTR {
                    continue
                } else {
                    return  // Nowhere to log that logging failed.
                }
            }
        }
    }
}

/// `write(2)`, by whichever C library this platform has (`LineOutput` has a `write` of its own).
private func systemWrite(_ descriptor: Int32, _ bytes: UnsafeRawPointer, _ count: Int) -> Int {
    #if canImport(Glibc)
        Glibc.write(descriptor, bytes, count)
    #elseif canImport(Musl)
        Musl.write(descriptor, bytes, count)
    #else
        Darwin.write(descriptor, bytes, count)
    #endif
}
