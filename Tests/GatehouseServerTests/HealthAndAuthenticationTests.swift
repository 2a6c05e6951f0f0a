import Foundation
import GatehouseTestSupport
import HTTPTypes
import Testing

@Suite struct HealthAndAuthenticationTests {
    @Test func healthNeedsNoKey() async throws {
        try await APIHarness.run { api in
            let response = try await api.call(.get, "/v1/health", authorization: nil)
            #expect(response.status == .ok)
            #expect(try api.object(response) as NSDictionary == ["healthy": true])
        }
    }

    @Test func readinessChecksTheStore() async throws {
        try await APIHarness.run { api in
            let response = try await api.call(.get, "/v1/health/ready", authorization: nil)
            #expect(response.status == .ok)
            #expect(try api.object(response) as NSDictionary == ["healthy": true])
        }
    }

    @Test(arguments: ["/v1/tools/list", "/v1/tools", "/v1/workers/w1/health", "/v1/chat/completions", "/v1/mcp"])
    func arcadesEngineRoutesSayGatehouseServesTheAuthAPIOnly(path: String) async throws {
        try await APIHarness.run { api in
            let response = try await api.call(.get, path)
            #expect(response.status == .notFound)
            let message = try #require(try api.object(response)["message"] as? String)
            #expect(message.contains("Gatehouse serves Arcade's auth API only"), "\(message)")
        }
    }

    @Test func otherUnknownRoutesAreAPlainNotFound() async throws {
        try await APIHarness.run { api in
            for path in ["/v1/toolsx", "/v1/nothing", "/elsewhere"] {
                let response = try await api.call(.get, path)
                #expect(response.status == .notFound)
                #expect(try api.object(response)["message"] as? String == "Not Found")
            }
        }
    }

    @Test(arguments: [
        (HTTPRequest.Method.post, "/v1/health", "GET, HEAD"), (.get, "/v1/auth/authorize", "POST"),
        (.head, "/v1/auth/authorize", "POST"), (.put, "/v1/admin/auth_providers/x", "DELETE, GET, HEAD, PATCH"),
        (.delete, "/v1/oauth/google/callback", "GET, HEAD"), (.post, "/v1/openapi.json", "GET, HEAD"),
    ])
    func aKnownPathAskedWithAnotherMethodIs405WithAllow(method: HTTPRequest.Method, path: String, allow: String)
        async throws
    {
        try await APIHarness.run { api in
            let response = try await api.call(method, path, authorization: nil)
            #expect(response.status == .methodNotAllowed)
            #expect(response.headers[.allow] == allow)
            // (SwiftNIO's encoder writes no body after a HEAD; the e2e test checks that.)
            guard method != .head else { return }
            let body = try api.object(response)
            #expect(body["name"] as? String == "invalid_request" && body["code"] as? Int == 405)
            #expect((body["message"] as? String)?.contains("answers \(allow)") == true, "\(body)")
        }
    }

    @Test(arguments: ["/v1/health", "/v1/openapi.json", "/v1/swagger", "/v1/admin/auth_providers"])
    func headAnswersAsGetWithoutTheBody(path: String) async throws {
        try await APIHarness.run { api in
            let get = try await api.call(.get, path)
            let head = try await api.call(.head, path)
            #expect(get.status == .ok && head.status == .ok)
            #expect(get.body.readableBytes > 0 && head.body.readableBytes == 0)
            #expect(head.headers[.contentLength] == String(get.body.readableBytes))
            #expect(head.headers[.contentType] == get.headers[.contentType])
        }
    }

    @Test func theRightMethodOnAnUnknownRowIsStill404() async throws {
        try await APIHarness.run { api in
            let row = try await api.call(.get, "/v1/admin/auth_providers/nope")
            #expect(row.status == .notFound)
            let deeper = try await api.call(.get, "/v1/health/nope")
            #expect(deeper.status == .notFound)
        }
    }

    @Test func theAPIAcceptsTheKeyRawOrAsBearer() async throws {
        try await APIHarness.run { api in
            for header in [api.key, "Bearer \(api.key)", "bearer \(api.key)", "BEARER  \(api.key) ", "\t\(api.key)"] {
                let response = try await api.call(.get, "/v1/admin/auth_providers", authorization: header)
                #expect(response.status == .ok)
            }
        }
    }

    @Test(arguments: [nil, "arc_wrong", "Bearer ", "Bearer arc_wrong"])
    func missingOrWrongKeysGet401(header: String?) async throws {
        try await APIHarness.run { api in
            let response = try await api.call(.get, "/v1/admin/auth_providers", authorization: header)
            #expect(response.status == .unauthorized)
            #expect(response.headers[.wwwAuthenticate] == #"Bearer realm="gatehouse""#)
            let body = try api.object(response)
            #expect(body["name"] as? String == "unauthenticated" && body["error"] as? String == "unauthenticated")
            #expect(body["code"] as? Int == 401 && (body["message"] as? String)?.isEmpty == false && body["msg"] != nil)
        }
    }

    @Test func unknownRoutesAnswerJSON404() async throws {
        try await APIHarness.run { api in
            let response = try await api.call(.get, "/v1/nope")
            #expect(response.status == .notFound)
            #expect(try api.object(response)["code"] as? Int == 404)
        }
    }
}
