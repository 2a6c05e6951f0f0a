import Foundation
import GatehouseCore
import Synchronization

/// An in-process OAuth 2.0 server behind the `HTTPTransport` seam: issues numbered tokens,
/// refreshes with rotation, and answers user info.
final class FakeProvider: HTTPTransport {
    struct State {
        var issued = 0
        var codeGrants = 0
        var refreshGrants = 0
        var refreshTokens: Set<String> = []
        var lifetime = 3600
        var failRefresh: String?
    }

    private let state = Mutex(State())
    static let base = "http://127.0.0.1:1"

    var codeGrants: Int { state.withLock { $0.codeGrants } }
    var refreshGrants: Int { state.withLock { $0.refreshGrants } }
    func setLifetime(_ seconds: Int) { state.withLock { $0.lifetime = seconds } }
    func failRefresh(with error: String?) { state.withLock { $0.failRefresh = error } }

    func send(_ request: OutboundRequest) async throws -> OutboundResponse {
        let form = FormEncoding.decode(String(decoding: request.body ?? [], as: UTF8.self))
        if request.url.hasPrefix("\(Self.base)/me") {
            guard request.header("Authorization")?.hasPrefix("Bearer at-") == true else {
                return Self.json(401, #"{"error":"invalid_token"}"#)
            }
            return Self.json(200, #"{"sub":"42","email":"alice@example.com"}"#)
        }
        guard request.url.hasPrefix("\(Self.base)/token") else { return Self.json(404, "{}") }
        guard request.header("Authorization") == "Basic " + Data("client-1:secret-1".utf8).base64EncodedString() else {
            return Self.json(401, #"{"error":"invalid_client"}"#)
        }
        return state.withLock { state in
            switch form["grant_type"] {
            case "authorization_code":
                guard form["code"] == "good-code", form["code_verifier"]?.count == 43 else {
                    return Self.json(400, #"{"error":"invalid_grant"}"#)
                }
                state.codeGrants += 1
            case "refresh_token":
                state.refreshGrants += 1
                if let error = state.failRefresh { return Self.json(400, #"{"error":"\#(error)"}"#) }
                guard let token = form["refresh_token"], state.refreshTokens.remove(token) != nil else {
                    return Self.json(400, #"{"error":"invalid_grant"}"#)
                }
            default:
                return Self.json(400, #"{"error":"unsupported_grant_type"}"#)
            }
            state.issued += 1
            state.refreshTokens.insert("rt-\(state.issued)")
            return Self.json(
                200,
                #"{"access_token":"at-\#(state.issued)","refresh_token":"rt-\#(state.issued)","expires_in":\#(state.lifetime),"token_type":"Bearer"}"#
            )
        }
    }

    static func json(_ status: Int, _ body: String) -> OutboundResponse {
        OutboundResponse(status: status, headers: ["content-type": "application/json"], body: Array(body.utf8))
    }

    /// The provider as the admin API takes it.
    static let definition = """
        {"id":"fake","description":"in-process provider","oauth2":{"client_id":"client-1","client_secret":"secret-1",
         "pkce":{"enabled":true},
         "authorize_request":{"endpoint":"\(base)/authorize","params":{"response_type":"code","client_id":"{{client_id}}",
           "redirect_uri":"{{redirect_uri}}","scope":"{{scopes}} {{existing_scopes}}"}},
         "token_request":{"endpoint":"\(base)/token","auth_method":"client_secret_basic"},
         "refresh_request":{"endpoint":"\(base)/token","auth_method":"client_secret_basic"},
         "user_info_request":{"endpoint":"\(base)/me","triggers":{"on_token_grant":true}}}}
        """
}
