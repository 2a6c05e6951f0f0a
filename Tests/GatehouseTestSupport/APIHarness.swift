import Foundation
import GatehouseCore
import GatehouseServer
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import Testing

/// Runs a test against the real composition root (`buildApplication`) with an in-process
/// provider: the one harness of the API tests.
package struct APIHarness: Sendable {
    package let client: any TestClientProtocol
    package let key: String
    package let provider: FakeProvider
    package let configuration: GatehouseConfiguration

    /// A fresh data directory, removed afterwards; `configure` adjusts the configuration; the
    /// fake provider answers unless `transport` is given.
    package static func run(
        configure: (inout GatehouseConfiguration) -> Void = { _ in }, transport: (any HTTPTransport)? = nil,
        _ body: @escaping @Sendable (APIHarness) async throws -> Void
    ) async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("gh-api-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        var configuration = GatehouseConfiguration(port: 0, dataDirectory: directory)
        configure(&configuration)
        try await run(configuration: configuration, transport: transport, body)
    }

    /// The application on `configuration` (its data directory is the caller's): the fake
    /// provider answers unless `transport` is given; `key` is the admin key when an earlier
    /// start made it; `testing` `.live` serves it on a port of `localhost` (`client.port`), for
    /// a real HTTP client. Returns the start's warnings.
    @discardableResult
    package static func run(
        configuration: GatehouseConfiguration, provider: FakeProvider = FakeProvider(), transport: (any HTTPTransport)? = nil,
        key: String? = nil, testing: TestingSetup = .router, now: @escaping @Sendable () -> Date = Date.init,
        logger: Logger = Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }), requestLog: RequestLog = .off,
        _ body: @escaping @Sendable (APIHarness) async throws -> Void
    ) async throws -> [String] {
        let built = try await buildApplication(
            configuration: configuration, logger: logger, requestLog: requestLog, transport: transport ?? provider.transport,
            now: now)
        let admin = try #require(built.newAPIKey ?? key, "no admin key: pass the one the first start made")
        try await built.app.test(testing) { client in
            try await body(APIHarness(client: client, key: admin, provider: provider, configuration: configuration))
        }
        return built.warnings
    }

    /// A new key of this role, made the way `gatehouse keys create` makes it.
    package func makeKey(role: APIKeyRole) async throws -> String {
        let store = try await OperatorStore.open(configuration)
        let key = try await store.createAPIKey(name: "test-\(role.rawValue)", role: role)
        try await store.close()
        return key
    }

    @discardableResult
    package func call(
        _ method: HTTPRequest.Method, _ uri: String, json: String? = nil, authorization: String? = "key",
        contentType: String = "application/json"
    ) async throws -> TestResponse {
        var headers: HTTPFields = [:]
        if let authorization { headers[.authorization] = authorization == "key" ? key : authorization }
        if json != nil { headers[.contentType] = contentType }
        return try await client.execute(uri: uri, method: method, headers: headers, body: json.map { ByteBuffer(string: $0) })
    }

    /// Waits up to `limit` until `count` long-polls are parked (the `/metrics` gauge): a test that
    /// needs a wait parked before its next step waits for it, instead of sleeping a fixed time.
    package func parked(_ count: Int = 1, within limit: Duration = .seconds(10)) async throws -> Bool {
        try await eventually(limit) {
            let text = String(buffer: try await call(.get, "/metrics").body)
            let gauge = text.split(separator: "\n").first { $0.hasPrefix("gatehouse_parked_long_polls ") }
            return gauge.flatMap({ $0.split(separator: " ").last }).flatMap({ Double($0) }) == Double(count)
        }
    }

    package func object(_ response: TestResponse) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(response.body.readableBytesView)) as? [String: Any])
    }

    package func createProvider() async throws {
        let response = try await call(.post, "/v1/admin/auth_providers", json: FakeProvider.definition)
        #expect(response.status == .ok, "\(String(buffer: response.body))")
    }

    package func authorize(user: String, scopes: [String] = ["read"], provider: String = "fake") async throws -> [String: Any] {
        let scopeList = scopes.map { "\"\($0)\"" }.joined(separator: ",")
        let response = try await call(
            .post, "/v1/auth/authorize",
            json: #"{"auth_requirement":{"provider_id":"\#(provider)","oauth2":{"scopes":[\#(scopeList)]}},"user_id":"\#(user)"}"#
        )
        #expect(response.status == .ok, "\(String(buffer: response.body))")
        return try object(response)
    }

    /// The browser's return to the callback, with the state from a pending authorization's URL.
    package func callback(
        for authorization: [String: Any], code: String = "good-code", provider: String = "fake", extra: String = ""
    )
        async throws -> TestResponse
    {
        try await call(
            .get, try callbackPath(for: authorization, code: code, provider: provider, extra: extra), authorization: nil)
    }

    /// The path `callback(for:)` gets.
    package func callbackPath(
        for authorization: [String: Any], code: String = "good-code", provider: String = "fake", extra: String = ""
    ) throws -> String {
        let url = try #require(authorization["url"] as? String)
        let state = try #require(URLComponents(string: url)?.queryItems?.first { $0.name == "state" }?.value)
        return "/v1/oauth/\(provider)/callback?code=\(code)&state=\(state)\(extra)"
    }

    package func completedToken(user: String, scopes: [String] = ["read"]) async throws -> (id: String, token: String) {
        let pending = try await authorize(user: user, scopes: scopes)
        #expect(pending["status"] as? String == "pending")
        let page = try await callback(for: pending)
        #expect(page.status == .ok)
        let done = try await authorize(user: user, scopes: scopes)
        #expect(done["status"] as? String == "completed")
        let context = try #require(done["context"] as? [String: Any])
        return (try #require(done["id"] as? String), try #require(context["token"] as? String))
    }
}
