import Foundation
import GatehouseCore
import GatehouseWire
import HTTPTypes
import NIOCore
import NIOHTTP1

/// The answer to a request the HTTP parser refused (a header too large, a malformed header line,
/// both Content-Length and Transfer-Encoding): Hummingbird writes a 400 with no body and closes
/// the connection before any middleware runs, so `ConnectionGuardHandler` puts this body in it,
/// in the shape of every other error.
enum UnreadableRequest {
    /// The head and body that replace Hummingbird's empty 400.
    static func answer(to error: HTTPParserError, head: HTTPResponse) -> (HTTPResponse, ByteBuffer) {
        let refusal = GatehouseError(.invalidRequest, "the request is not HTTP/1.1 that Gatehouse reads: \(reason(error))")
        return HTTPErrorMapping.written(refusal, head: head)
    }

    static func reason(_ error: HTTPParserError) -> String {
        switch error {
        // What the parser names no further: a Transfer-Encoding it cannot use (one sent with
        // Content-Length among them), a line without its CR.
        case .unknown: "it could not be parsed (a Transfer-Encoding it cannot use, such as one with Content-Length)"
        case .headerOverflow: "its headers are larger than the server reads (too many, or too long)"
        case .invalidContentLength, .unexpectedContentLength: "its Content-Length cannot be used"
        // What llhttp names these by is not always the line at fault (a space in the path comes
        // as a bad header token): the reason names both kinds of line.
        case .invalidHeaderToken, .invalidCharactersUsed, .lfExpected, .invalidConstant:
            "a header line is malformed, or the request line (a character that is not allowed, such as a space in the path, or a line folded onto the next)"
        case .invalidChunkSize: "its chunked body is malformed"
        case .invalidURL, .invalidHost, .invalidPort, .invalidPath, .invalidQueryString, .invalidFragment:
            "its target is not a valid path"
        case .invalidMethod: "its method is not valid"
        case .invalidVersion:
            "its request line is malformed (an HTTP version that is not HTTP/1.x, or a line that does not end in CRLF)"
        // An upgrade the parser stops at, such as HTTP/2's preface: Gatehouse serves HTTP/1.1.
        case .paused: "it asks for another protocol than HTTP/1.1"
        default: "it could not be parsed (\(error))"
        }
    }
}
