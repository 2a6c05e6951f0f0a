import Foundation

/// A terminal spinner shown on stderr while a long call runs (only on a terminal).
enum Spinner {
    static func `while`<T: Sendable>(_ label: String, enabled: Bool, _ body: @escaping @Sendable () async throws -> T)
        async throws -> T
    {
        guard enabled, isatty(STDERR_FILENO) == 1 else { return try await body() }
        return try await withThrowingTaskGroup(of: T?.self) { group in
            group.addTask {
                let frames = ["|", "/", "-", "\\"]
                var index = 0
                while !Task.isCancelled {
                    try? FileHandle.standardError.write(contentsOf: Data("\r\(frames[index % 4]) \(label)...".utf8))
                    index += 1
                    try? await Task.sleep(for: .milliseconds(120))
                }
                try? FileHandle.standardError.write(contentsOf: Data("\r\u{1B}[K".utf8))
                return nil
            }
            group.addTask { try await body() }
            defer { group.cancelAll() }
            while let next = try await group.next() {
                if let value = next {
                    group.cancelAll()
                    return value
                }
            }
            throw CancellationError()
        }
    }
}
