import Foundation
import GatehouseCore
import Synchronization

/// An OAuth 2.0 server scripted on a `ScriptedTransport`: issues numbered tokens, refreshes
/// with rotation, and answers user info.
package final class FakeProvider: Sendable {
    struct State {
        var issued = 0
        var codeGrants = 0
        var refreshGrants = 0
        var refreshTokens: Set<String> = []
        var lifetime = 3600
        var failRefresh: String?
    }

    final class Box: Sendable {
        let state = Mutex(State())
    }

    /// Where Gatehouse sends its requests.
    package let transport = ScriptedTransport()
    private let box = Box()
    package static let base = "http://127.0.0.1:1"

    /// A provider that answers on `transport`.
    package init() {
        transport.respond { [box] request in Self.answer(request, box: box) }
    }

    package var codeGrants: Int { box.state.withLock { $0.codeGrants } }
    package var refreshGrants: Int { box.state.withLock { $0.refreshGrants } }
    package func setLifetime(_ seconds: Int) { box.state.withLock { $0.lifetime = seconds } }
    package func failRefresh(with error: String?) { box.state.withLock { $0.failRefresh = error } }

    private static func answer(_ request: OutboundRequest, box: Box) -> OutboundResponse {
        let form = request.form
        if request.url.hasPrefix("\(base)/me") {
            guard request.header("Authorization")?.hasPrefix("Bearer at-") == true else {
                return ScriptedTransport.json(401, #"{"error":"invalid_token"}"#)
            }
            // `account` is past 2^53, where a Double would round it (to ...768).
            return ScriptedTransport.json(200, #"{"sub":"42","email":"alice@example.com","account":1234567890123456789}"#)
        }
        guard request.url.hasPrefix("\(base)/token") else { return ScriptedTransport.json(404, "{}") }
        guard request.header("Authorization") == "Basic " + Data("client-1:secret-1".utf8).base64EncodedString() else {
            return ScriptedTransport.json(401, #"{"error":"invalid_client"}"#)
        }
        return box.state.withLock { state in
            switch form["grant_type"] {
            case "authorization_code":
                guard form["code"] == "good-code", form["code_verifier"]?.count == 43 else {
                    return ScriptedTransport.json(400, #"{"error":"invalid_grant"}"#)
                }
                state.codeGrants += 1
            case "refresh_token":
                state.refreshGrants += 1
                if let error = state.failRefresh { return ScriptedTransport.json(400, #"{"error":"\#(error)"}"#) }
                guard let token = form["refresh_token"], state.refreshTokens.remove(token) != nil else {
                    return ScriptedTransport.json(400, #"{"error":"invalid_grant"}"#)
                }
            default:
                return ScriptedTransport.json(400, #"{"error":"unsupported_grant_type"}"#)
            }
            state.issued += 1
            state.refreshTokens.insert("rt-\(state.issued)")
            return ScriptedTransport.json(
                200,
                #"{"access_token":"at-\#(state.issued)","refresh_token":"rt-\#(state.issued)","expires_in":\#(state.lifetime),"token_type":"Bearer"}"#
            )
        }
    }

    /// The provider as the admin API takes it.
    package static let definition = """
        {"id":"fake","description":"in-process provider","oauth2":{"client_id":"client-1","client_secret":"secret-1",
         "pkce":{"enabled":true},
         "authorize_request":{"endpoint":"\(base)/authorize","params":{"response_type":"code","client_id":"{{client_id}}",
           "redirect_uri":"{{redirect_uri}}","scope":"{{scopes}} {{existing_scopes}}"}},
         "token_request":{"endpoint":"\(base)/token","auth_method":"client_secret_basic"},
         "refresh_request":{"endpoint":"\(base)/token","auth_method":"client_secret_basic"},
         "user_info_request":{"endpoint":"\(base)/me","triggers":{"on_token_grant":true}}}}
        """
}
