import Foundation
import GatehouseCore
import GatehouseWire
import Synchronization

/// The one in-process stand-in for providers: records every request and answers from a script,
/// newest rule first. A request no rule answers fails as a refused connection would.
package final class ScriptedTransport: HTTPTransport {
    /// A rule: an answer, or nil to let older rules answer.
    package typealias Rule = @Sendable (OutboundRequest) throws -> OutboundResponse?

    private let state = Mutex<(requests: [OutboundRequest], rules: [Rule])>(([], []))

    /// An empty script.
    package init() {}

    /// Every request sent so far.
    package var requests: [OutboundRequest] { state.withLock { $0.requests } }

    /// Answers requests for which `rule` returns a response.
    package func respond(_ rule: @escaping Rule) {
        state.withLock { $0.rules.insert(rule, at: 0) }
    }

    /// Answers every request whose URL starts with `prefix` with this JSON (or other) body.
    package func answer(_ prefix: String, status: Int = 200, json: String, contentType: String = "application/json") {
        let response = OutboundResponse(status: status, headers: ["content-type": contentType], body: Array(json.utf8))
        respond { $0.url.hasPrefix(prefix) ? response : nil }
    }

    /// Records the request and runs the script.
    package func send(_ request: OutboundRequest) async throws -> OutboundResponse {
        let rules = state.withLock { state in
            state.requests.append(request)
            return state.rules
        }
        for rule in rules {
            if let response = try rule(request) { return response }
        }
        throw URLError(.cannotConnectToHost)
    }

    /// A JSON answer.
    package static func json(_ status: Int, _ body: String) -> OutboundResponse {
        OutboundResponse(status: status, headers: ["content-type": "application/json"], body: Array(body.utf8))
    }

    /// A JSON answer from a value.
    package static func json(_ value: JSONValue, status: Int = 200) throws -> OutboundResponse {
        OutboundResponse(
            status: status, headers: ["content-type": "application/json"], body: Array(try JSONEncoder().encode(value)))
    }
}

extension OutboundRequest {
    /// The form-encoded body.
    package var form: [String: String] { FormEncoding.decode(String(decoding: body ?? [], as: UTF8.self)) }

    /// The URL without its query.
    package var bareURL: String { String(url.split(separator: "?").first ?? "") }

    /// Every parameter: the query, and the form or JSON body.
    package var params: [String: String] {
        var params = FormEncoding.decode(String(url.split(separator: "?", maxSplits: 1).dropFirst().first ?? ""))
        let body = body ?? []
        if header("Content-Type") == "application/json" {
            let object = (try? JSONDecoder().decode([String: String].self, from: Data(body))) ?? [:]
            params.merge(object) { $1 }
        } else if !body.isEmpty {
            params.merge(form) { $1 }
        }
        return params
    }
}
