import Foundation

/// `metrics.token`: a secret that opens `/metrics` and nothing else, so that Prometheus need not
/// hold an admin key (which can change providers and delete users' connections).
package struct ScrapeToken: Sendable, Equatable, CustomStringConvertible, CustomDebugStringConvertible {
    /// The fewest characters a token may have.
    static let minimumLength = 32
    private let value: [UInt8]

    /// A token of `value`.
    package init(_ value: String) {
        self.value = Array(value.utf8)
    }

    /// Whether `presented` is the token, compared in time that does not depend on where they differ.
    func matches(_ presented: String) -> Bool {
        let given = Array(presented.utf8)
        guard given.count == value.count else { return false }
        var difference: UInt8 = 0
        for (a, b) in zip(given, value) { difference |= a ^ b }
        return difference == 0
    }

    /// Redacted: the token never reaches logs.
    package var description: String { "ScrapeToken(<redacted>)" }
    /// As `description`.
    package var debugDescription: String { description }
}
