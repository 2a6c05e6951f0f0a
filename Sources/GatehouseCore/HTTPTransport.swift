import Foundation

/// An outbound HTTP request to a provider.
package struct OutboundRequest: Sendable, Equatable {
    /// `GET` or `POST`.
    package var method: String
    /// The full URL.
    package var url: String
    /// Header fields, in order.
    package var headers: [(String, String)]
    /// The body, if any.
    package var body: [UInt8]?

    /// Creates a request.
    package init(method: String, url: String, headers: [(String, String)] = [], body: [UInt8]? = nil) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
    }

    /// The first value of a header, case-insensitively.
    package func header(_ name: String) -> String? {
        headers.first { $0.0.lowercased() == name.lowercased() }?.1
    }

    /// Compares method, URL, headers and body.
    package static func == (lhs: OutboundRequest, rhs: OutboundRequest) -> Bool {
        lhs.method == rhs.method && lhs.url == rhs.url && lhs.body == rhs.body
            && lhs.headers.map { [$0.0, $0.1] } == rhs.headers.map { [$0.0, $0.1] }
    }
}

/// A provider's answer.
package struct OutboundResponse: Sendable, Equatable {
    /// The HTTP status.
    package var status: Int
    /// Header fields, names lower-cased.
    package var headers: [String: String]
    /// The body.
    package var body: [UInt8]

    /// Creates a response.
    package init(status: Int, headers: [String: String] = [:], body: [UInt8]) {
        self.status = status
        self.headers = headers
        self.body = body
    }
}

/// Sends requests to providers. The seam where tests put an in-process provider.
package protocol HTTPTransport: Sendable {
    /// Sends a request and reads the whole answer.
    func send(_ request: OutboundRequest) async throws -> OutboundResponse
}

/// An outbound call the network policy refused before connecting.
package struct OutboundRefusal: Error, CustomStringConvertible {
    /// Why, naming the address and the setting that would allow it.
    package let reason: String
    /// A one-line description.
    package var description: String { "refused to connect: \(reason)" }

    /// Creates a refusal.
    package init(reason: String) {
        self.reason = reason
    }
}
