import Foundation
import GatehouseCore
import HTTPTypes

/// Refuses a request body sent in a transfer coding other than `chunked` (`gzip, chunked`, say):
/// the HTTP parser frames it by its final `chunked` and would hand a route the compressed bytes
/// as if they were the body. RFC 9112 §6.1 answers such a request `501`; its chunks are still
/// read to their end, so the connection goes on. `ErrorMiddleware` runs it first (a middleware
/// of its own would add a frame to every request, a parked wait's included).
enum TransferCodingCheck {
    /// Throws `notImplemented` for a request whose `Transfer-Encoding` is not `chunked` alone.
    static func check(_ headers: HTTPFields) throws {
        if let codings = headers[.transferEncoding], let other = unsupported(in: codings) {
            throw GatehouseError(
                .notImplemented, "the body's Transfer-Encoding '\(other)' is not supported; send it plain or chunked")
        }
    }

    /// The first coding in a `Transfer-Encoding` value that is not `chunked`, as sent.
    static func unsupported(in codings: String) -> String? {
        for coding in codings.split(separator: ",") {
            let name = coding.trimmingCharacters(in: .whitespaces)
            if name.lowercased() != "chunked" { return String(name.prefix(40)) }
        }
        return nil
    }
}
