import Foundation
import GatehouseTestSupport
import Synchronization
import Testing

/// A provider's token endpoint as the scope tests need it: numbered tokens that live `lifetime`
/// seconds, each answer naming `scope`; any other call (user info) answered with one user.
enum ScriptedTokenEndpoint {
    /// How many grants the token endpoint answered.
    final class Grants: Sendable {
        let count = Mutex(0)
    }

    static func make(tokenURL: String, scope: String, lifetime: Int) -> (ScriptedTransport, Grants) {
        let transport = ScriptedTransport()
        let grants = Grants()
        transport.respond { request in
            guard request.url.hasPrefix(tokenURL) else {
                return ScriptedTransport.json(200, #"{"sub":"42","email":"alice@example.com"}"#)
            }
            let n = grants.count.withLock { count in
                count += 1
                return count
            }
            return ScriptedTransport.json(
                200,
                #"{"access_token":"at-\#(n)","refresh_token":"rt-\#(n)","expires_in":\#(lifetime),"token_type":"Bearer","scope":"\#(scope)"}"#
            )
        }
        return (transport, grants)
    }
}

extension APIHarness {
    /// The built-in provider `id`, under its own id, with made-up credentials.
    func createBuiltIn(_ id: String) async throws {
        let created = try await call(
            .post, "/v1/admin/auth_providers",
            json: #"{"id":"\#(id)","provider_id":"\#(id)","oauth2":{"client_id":"c","client_secret":"s"}}"#)
        #expect(created.status == .ok, "\(String(buffer: created.body))")
    }
}
