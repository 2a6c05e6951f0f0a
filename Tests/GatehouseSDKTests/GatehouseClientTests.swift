import Foundation
import Gatehouse
import Testing

@Suite struct GatehouseClientTests {
    static let completed =
        #"{"id":"ac_1","status":"completed","scopes":["s"],"provider_id":"google","user_id":"alice","context":{"token":"tok","user_info":{"sub":"1"}}}"#
    static let pending = #"{"id":"ac_1","status":"pending","url":"https://p/authorize"}"#

    @Test func startSendsArcadesBodyAndTheKey() async throws {
        let server = ScriptedServer()
        server.script("/v1/auth/authorize", .init(body: Self.completed))
        try await server.run { client in
            let auth = try await client.auth.start(userID: "alice", provider: "google", scopes: ["s"])
            #expect(auth.status == .completed && auth.context?.token == "tok" && auth.context?.userInfo?["sub"] == .string("1"))
        }
        let request = try #require(server.recorded.first)
        #expect(request.method == "POST" && request.uri == "/v1/auth/authorize")
        #expect(request.authorization == "Bearer arc_test")
        let body = try JSONSerialization.jsonObject(with: Data(request.body.utf8)) as? NSDictionary
        #expect(
            body == [
                "auth_requirement": ["provider_id": "google", "provider_type": "oauth2", "oauth2": ["scopes": ["s"]]],
                "user_id": "alice",
            ])
    }

    @Test func unknownStatusesAreKept() throws {
        let decoded = try JSONDecoder().decode(AuthorizationResponse.self, from: Data(#"{"id":"x","status":"paused"}"#.utf8))
        #expect(decoded.status == .unknown("paused"))
        #expect(String(decoding: try JSONEncoder().encode(decoded), as: UTF8.self).contains(#""status":"paused""#))
    }

    @Test func retriesServerErrorsAndHonoursRetryAfter() async throws {
        let server = ScriptedServer()
        server.script(
            "/v1/health", .init(status: .serviceUnavailable, body: "{}"),
            .init(status: .tooManyRequests, body: "{}", headers: [.retryAfter: "1"]), .init(body: #"{"healthy":true}"#))
        let started = ContinuousClock.now
        try await server.run { client in
            let health = try await client.health()
            #expect(health.healthy)
        }
        #expect(server.recorded.count == 3)
        // The backoff is 10 ms here: the second retry waited the second the server asked for.
        #expect(started.duration(to: .now) >= .milliseconds(950))
    }

    /// As the official clients: the server's `x-should-retry` decides before the status does, and
    /// a `Retry-After` past a minute is not waited out (the backoff applies).
    @Test func theServersShouldRetryHeaderDecides() async throws {
        let server = ScriptedServer()
        server.script("/v1/health", .init(status: .serviceUnavailable, body: "{}", headers: [.init("x-should-retry")!: "false"]))
        server.script(
            "/v1/auth/status", .init(status: .badRequest, body: "{}", headers: [.init("x-should-retry")!: "true"]),
            .init(status: .tooManyRequests, body: "{}", headers: [.retryAfter: "3600"]), .init(body: Self.completed))
        try await server.run { client in
            await #expect(throws: GatehouseAPIError.self) { try await client.health() }
            let answered = try await client.auth.status(id: "ac_1")
            #expect(answered.status == .completed)
        }
        #expect(server.recorded.map(\.uri).filter { $0 == "/v1/health" }.count == 1)
        #expect(server.recorded.count == 4)
    }

    @Test func healthChecksNeedNoKeyAndANotReadyServerIsAnAnswer() async throws {
        let server = ScriptedServer()
        server.script("/v1/health", .init(body: #"{"healthy":true}"#))
        server.script(
            "/v1/health/ready",
            .init(status: .serviceUnavailable, body: #"{"healthy":false,"reason":"the store does not answer"}"#))
        try await server.serve { base in
            let live = try await GatehouseClient.health(baseURL: base, environment: [:])
            #expect(live == HealthResponse(healthy: true))
            let ready = try await GatehouseClient.health(ready: true, baseURL: base, environment: [:])
            #expect(ready == HealthResponse(healthy: false, reason: "the store does not answer"))
        }
        // No key sent, and a 503 not retried: one request each.
        #expect(server.recorded.map(\.uri) == ["/v1/health", "/v1/health/ready"])
        #expect(server.recorded.allSatisfy { $0.authorization == nil })
    }

    @Test func givesUpAfterMaxRetriesWithAServerError() async throws {
        let server = ScriptedServer()
        server.script("/v1/health", .init(status: .internalServerError, body: #"{"name":"internal_error","message":"boom"}"#))
        try await server.run { client in
            await #expect(throws: GatehouseAPIError(status: 500, name: "internal_error", message: "boom")) {
                try await client.health()
            }
        }
        #expect(server.recorded.count == 3)
    }

    @Test(arguments: [
        (400, GatehouseAPIError.Kind.badRequest), (401, .authentication), (403, .permissionDenied), (404, .notFound),
        (409, .conflict),
    ])
    func clientErrorsAreTypedAndNotRetried(status: Int, kind: GatehouseAPIError.Kind) async throws {
        let server = ScriptedServer()
        server.script(
            "/v1/auth/status",
            .init(status: .init(code: status), body: #"{"name":"x","message":"server says no","msg":"server says no"}"#))
        try await server.run { client in
            await #expect {
                try await client.auth.status(id: "ac_1")
            } throws: { error in
                let error = error as? GatehouseAPIError
                return error?.kind == kind && error?.message == "server says no" && error?.status == status
            }
        }
        #expect(server.recorded.count == 1)
    }

    @Test func connectionsArePagedLazily() async throws {
        let server = ScriptedServer()
        func item(_ n: Int) -> String {
            #"{"id":"uc_\#(n)","connection_id":"uc_\#(n)","connection_status":"active","provider_id":"p","provider_type":"oauth2","scopes":[],"user_id":"u\#(n)"}"#
        }
        server.script(
            "/v1/admin/user_connections",
            .init(body: #"{"items":[\#(item(1)),\#(item(2))],"limit":2,"offset":0,"page_count":2,"total_count":3}"#),
            .init(body: #"{"items":[\#(item(3))],"limit":2,"offset":2,"page_count":1,"total_count":3}"#))
        try await server.run { client in
            var ids: [String] = []
            for try await connection in client.admin.userConnections.all(userID: "u", pageSize: 2) { ids.append(connection.id) }
            #expect(ids == ["uc_1", "uc_2", "uc_3"])
        }
        #expect(
            server.recorded.map(\.uri) == [
                "/v1/admin/user_connections?limit=2&offset=0&user%5Bid%5D=u",
                "/v1/admin/user_connections?limit=2&offset=2&user%5Bid%5D=u",
            ])
    }

    /// A list as a server in Go may write it: `null` for an empty list, counts and fields left
    /// out. The official clients read it; so does this one.
    @Test func aSparsePageIsRead() throws {
        let empty = try JSONDecoder().decode(OffsetPage<UserConnection>.self, from: Data(#"{"items":null}"#.utf8))
        #expect(empty.items.isEmpty && empty.totalCount == 0)
        let sparse = try JSONDecoder().decode(
            OffsetPage<UserConnection>.self,
            from: Data(
                #"{"items":[{"id":"uc_1","connection_status":"active","provider_id":"p","user_id":"u","scopes":null}],"total_count":1}"#
                    .utf8))
        let connection = try #require(sparse.items.first)
        #expect(connection.scopes.isEmpty && connection.connectionID == "uc_1" && connection.providerType == "oauth2")
        #expect(sparse.limit == 1 && sparse.offset == 0 && sparse.pageCount == 1)
    }

    @Test func secretsAreListedStoredByKeyAndDeletedByID() async throws {
        let stored =
            #"{"id":"sec_1","key":"ORG_SUBDOMAIN","description":"d","hint":null,"binding":{"id":"default","type":"project"},"created_at":"2026-01-01T00:00:00Z","updated_at":"2026-01-01T00:00:00Z","last_accessed_at":null}"#
        let server = ScriptedServer()
        server.script(
            "/v1/admin/secrets", .init(body: #"{"items":[\#(stored)],"limit":1,"offset":0,"page_count":1,"total_count":1}"#))
        server.script("/v1/admin/secrets/ORG_SUBDOMAIN", .init(body: stored))
        server.script("/v1/admin/secrets/sec_1", .init(status: .noContent, body: ""))
        try await server.run { client in
            #expect(try await client.admin.secrets.list().map(\.key) == ["ORG_SUBDOMAIN"])
            let made = try await client.admin.secrets.upsert(key: "ORG_SUBDOMAIN", value: "acme", description: "d")
            #expect(made.id == "sec_1")
            try await client.admin.secrets.delete(id: made.id)
        }
        #expect(
            server.recorded.map { "\($0.method) \($0.uri)" } == [
                "GET /v1/admin/secrets", "POST /v1/admin/secrets/ORG_SUBDOMAIN", "DELETE /v1/admin/secrets/sec_1",
            ])
        #expect(server.recorded[1].body == #"{"description":"d","value":"acme"}"#)
    }

    @Test func missingKeyAndBadURLAreClientErrors() {
        #expect(throws: GatehouseClientError.missingAPIKey) { try GatehouseClient(environment: [:]) }
        #expect(throws: GatehouseClientError.invalidBaseURL("ftp://x")) {
            try GatehouseClient(apiKey: "k", baseURL: "ftp://x", environment: [:])
        }
        #expect(throws: Never.self) {
            try GatehouseClient(environment: ["ARCADE_API_KEY": "k", "ARCADE_BASE_URL": "http://h:1"])
        }
        // A Gatehouse key is not sent to a URL set for Arcade; with Gatehouse's URL, or one
        // given, it is.
        let mixed = ["GATEHOUSE_API_KEY": "k", "ARCADE_BASE_URL": "https://api.arcade.dev"]
        #expect(throws: GatehouseClientError.mixedEnvironment) { try GatehouseClient(environment: mixed) }
        #expect(throws: Never.self) {
            try GatehouseClient(environment: mixed.merging(["GATEHOUSE_BASE_URL": "http://g:1"]) { $1 })
        }
        #expect(throws: Never.self) { try GatehouseClient(baseURL: "http://g:1", environment: mixed) }
    }

    /// A key read from a file keeps no line break; one with another control character is
    /// refused before any request, and no error quotes it.
    @Test func aKeyLosesItsLineBreakAndOneWithAControlCharacterIsRefused() async throws {
        #expect(throws: GatehouseClientError.invalidAPIKey) { try GatehouseClient(apiKey: "arc_se\u{1}cret", environment: [:]) }
        #expect(throws: GatehouseClientError.missingAPIKey) { try GatehouseClient(environment: ["ARCADE_API_KEY": " \r\n"]) }
        let server = ScriptedServer()
        server.script("/v1/auth/authorize", .init(body: Self.completed))
        try await server.serve { base in
            let client = try GatehouseClient(apiKey: nil, baseURL: base, environment: ["ARCADE_API_KEY": "arc_test\r\n"])
            _ = try await client.auth.start(userID: "alice", provider: "google", scopes: ["s"])
        }
        #expect(server.recorded.first?.authorization == "Bearer arc_test")
    }

    /// The order the README and `--help` state: the argument, GATEHOUSE_*, ARCADE_*, the default.
    @Test func theBaseURLComesFromTheArgumentThenGatehouseThenArcade() throws {
        let both = ["GATEHOUSE_BASE_URL": "http://g:1/", "ARCADE_BASE_URL": "http://a:1"]
        #expect(try GatehouseClient.baseURL("http://x:1", environment: both) == "http://x:1")
        #expect(try GatehouseClient.baseURL(nil, environment: both) == "http://g:1")
        #expect(try GatehouseClient.baseURL(nil, environment: ["ARCADE_BASE_URL": "http://a:1"]) == "http://a:1")
        #expect(try GatehouseClient.baseURL(nil, environment: [:]) == "http://127.0.0.1:9099")
    }

    @Test func connectionFailuresBecomeAClientError() async throws {
        let client = try GatehouseClient(
            apiKey: "k", baseURL: "http://127.0.0.1:1",
            configuration: .init(maxRetries: 1, initialBackoff: .milliseconds(1)), environment: [:])
        await #expect {
            try await client.health()
        } throws: { error in
            // Where, and why in plain words (NIO's own description read "connection reset (error
            // set): Connection refused) (errno: 111)").
            guard case .connection(let reason)? = error as? GatehouseClientError else { return false }
            return reason == "http://127.0.0.1:1: connection refused"
        }
    }
}
