import Foundation
import GatehouseCore
import HTTPTypes
import Hummingbird

/// Refuses a request body sent in a transfer coding other than `chunked` (`gzip, chunked`, say):
/// the HTTP parser frames it by its final `chunked` and would hand a route the compressed bytes
/// as if they were the body. RFC 9112 §6.1 answers such a request `501`; its chunks are still
/// read to their end, so the connection goes on.
struct TransferCodingCheck<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response
    {
        if let codings = request.headers[.transferEncoding], let other = Self.unsupported(in: codings) {
            throw GatehouseError(
                .notImplemented, "the body's Transfer-Encoding '\(other)' is not supported; send it plain or chunked")
        }
        return try await next(request, context)
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
