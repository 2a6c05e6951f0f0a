import Foundation
import GatehouseCore
import Synchronization

/// An in-process provider: answers by URL prefix and records every request.
final class RecordingTransport: HTTPTransport {
    private let state = Mutex<(requests: [OutboundRequest], answers: [(prefix: String, response: OutboundResponse)])>(([], []))

    func answer(_ prefix: String, status: Int = 200, json: String, contentType: String = "application/json") {
        state.withLock {
            $0.answers.insert(
                (prefix, OutboundResponse(status: status, headers: ["content-type": contentType], body: Array(json.utf8))), at: 0)
        }
    }

    var requests: [OutboundRequest] { state.withLock { $0.requests } }

    func send(_ request: OutboundRequest) async throws -> OutboundResponse {
        try state.withLock { state in
            state.requests.append(request)
            guard let match = state.answers.first(where: { request.url.hasPrefix($0.prefix) }) else {
                throw URLError(.cannotConnectToHost)
            }
            return match.response
        }
    }
}

extension OutboundRequest {
    var form: [String: String] { FormEncoding.decode(String(decoding: body ?? [], as: UTF8.self)) }
}
