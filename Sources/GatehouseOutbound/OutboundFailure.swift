import AsyncHTTPClient
import Foundation
import NIOCore

/// A call to a provider that failed on the way: no connection, no answer in time, or an answer
/// cut off. Its description is what a person reads in an error body or a log line ("connection
/// refused", "no answer within 15 s"), not SwiftNIO's or AsyncHTTPClient's own words.
package struct OutboundFailure: Error, CustomStringConvertible {
    /// What went wrong, in a few plain words.
    package let description: String

    /// The plain account of `error`: AsyncHTTPClient's by its short description, which never
    /// quotes the request; any other error (a task's cancellation among them) as it is.
    static func plain(_ error: any Error, timeout: TimeAmount, connectTimeout: TimeAmount) -> any Error {
        switch error {
        case let error as IOError:
            return OutboundFailure(description: String(cString: strerror(error.errnoCode)).lowercased())
        case let error as HTTPClientError:
            switch error {
            case .deadlineExceeded, .readTimeout, .writeTimeout:
                return OutboundFailure(description: "no whole answer within \(words(timeout))")
            case .connectTimeout:
                return OutboundFailure(description: "no connection within \(words(connectTimeout))")
            case .remoteConnectionClosed:
                return OutboundFailure(description: "the connection closed before the whole answer came")
            case .bodyLengthMismatch:
                return OutboundFailure(description: "the answer's body was not the length its head said")
            default:
                // Its own description may quote the request (a refused header's value: a token).
                return OutboundFailure(description: error.shortDescription.lowercased())
            }
        default:
            return error
        }
    }

    /// "15 s", or "250 ms" for a time that is not whole seconds.
    static func words(_ time: TimeAmount) -> String {
        time.nanoseconds % 1_000_000_000 == 0
            ? "\(time.nanoseconds / 1_000_000_000) s" : "\(time.nanoseconds / 1_000_000) ms"
    }
}
