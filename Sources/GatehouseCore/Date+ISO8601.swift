import Foundation

extension Date {
    /// `2026-12-01T15:52:43Z`: how the API and the CLI write times.
    package var iso8601: String {
        formatted(.iso8601)
    }
}
