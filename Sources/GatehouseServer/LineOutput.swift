import Foundation
import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#else
    import Darwin
#endif

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
