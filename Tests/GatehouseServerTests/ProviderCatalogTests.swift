import Foundation
import GatehouseCore
import GatehouseTestSupport
import GatehouseWire
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Synchronization
import Testing

@testable import GatehouseServer

/// Every built-in template, run through the whole flow against a stand-in that answers with that
/// provider's documented response shapes (Fixtures/providers/<id>.json, doc URLs inside).
@Suite struct ProviderCatalogTests {
    static let fixtures = (try? ProviderFixture.all()) ?? []
    static let clientID = "test-client-id"
    static let clientSecret = "test-client-secret-0123456789"

    @Test func everyBuiltInHasAFixtureAndADocsLink() throws {
        let catalog = BuiltInProviders.catalog
        #expect(catalog.entries.count >= 25)
        #expect(Set(Self.fixtures.map(\.providerID)) == Set(catalog.entries.keys))
        for entry in catalog.entries.values {
            #expect(entry.docsURL?.hasPrefix("https://") == true, "\(entry.id)")
        }
    }

    @Test func everyProviderFileIsEmbeddedOnceUnderItsOwnName() throws {
        let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("../../Sources/GatehouseServer/Providers").standardized
        let names = try FileManager.default.contentsOfDirectory(atPath: directory.path).filter { $0.hasSuffix(".yaml") }
        let embedded = try BuiltInProviders.files.map(BuiltInProviders.parse)
        #expect(embedded.count == names.count)
        #expect(Set(embedded.map { "\($0.id).yaml" }) == Set(names))
        #expect(BuiltInProviders.catalog.entries.count == names.count)
    }

    @Test(arguments: fixtures)
    func theWholeFlow(fixture: ProviderFixture) async throws {
        let expect = fixture.expect
        #expect(fixture.endpoints["authorize"] != nil && fixture.endpoints["token"] != nil)
        let clock = Mutex(
            Date(timeIntervalSince1970: fixture.introspectionResponse?.objectValue?["iat"]?.doubleValue ?? 1_700_000_000))
        let provider = FixtureProvider(fixture: fixture)
        let transport = provider.transport
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("gh-cat-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try await APIHarness.run(
            configuration: GatehouseConfiguration(port: 0, dataDirectory: directory), transport: transport,
            now: { clock.withLock { $0 } }
        ) { api in
            let client = api.client
            func call(_ method: HTTPRequest.Method, _ uri: String, _ json: String? = nil) async throws -> JSONValue {
                let response = try await api.call(method, uri, json: json)
                #expect(response.status == .ok, "\(method) \(uri): \(String(buffer: response.body))")
                return try JSONDecoder().decode(JSONValue.self, from: Data(response.body.readableBytesView))
            }
            let tenant = fixture.tenant.map { #","tenant":"\#($0)""# } ?? ""
            let created = try await call(
                .post, "/v1/admin/auth_providers",
                #"{"id":"\#(fixture.providerID)","provider_id":"\#(fixture.providerID)","client_id":"\#(Self.clientID)","client_secret":"\#(Self.clientSecret)"\#(tenant)}"#
            )
            #expect(created.objectValue?["id"] == .string(fixture.providerID))

            // The authorize URL.
            let requested = expect["requested_scopes"]?.arrayValue?.compactMap(\.stringValue) ?? []
            let scopes = try String(decoding: JSONEncoder().encode(requested), as: UTF8.self)
            let authorize =
                #"{"auth_requirement":{"provider_id":"\#(fixture.providerID)","oauth2":{"scopes":\#(scopes)}},"user_id":"u"}"#
            let pending = try await call(.post, "/v1/auth/authorize", authorize)
            #expect(pending.objectValue?["status"] == .string("pending"))
            let url = try #require(pending.objectValue?["url"]?.stringValue)
            let parts = url.split(separator: "?", maxSplits: 1)
            #expect(parts.first.map(String.init) == fixture.endpoints["authorize"], "authorize URL \(url)")
            let query = FormEncoding.decode(String(parts.last ?? ""))
            for (name, value) in expect["authorize_params"]?.objectValue ?? [:] {
                #expect(query[name] == value.stringValue, "authorize param \(name) in \(url)")
            }
            #expect(query["client_id"] == Self.clientID)
            #expect(query["redirect_uri"]?.hasSuffix("/v1/oauth/\(fixture.providerID)/callback") == true)
            let state = try #require(query["state"])
            let pkce = expect["pkce"] == .bool(true)
            #expect((query["code_challenge"] != nil) == pkce)

            // The callback and the code exchange.
            let page = try await client.execute(
                uri: "/v1/oauth/\(fixture.providerID)/callback?code=fixture-code&state=\(FormEncoding.escape(state))",
                method: .get)
            #expect(page.status == .ok, "\(String(buffer: page.body))")
            let exchange = try #require(
                transport.requests.first { $0.params["grant_type"] == "authorization_code" })
            #expect(exchange.bareURL == fixture.endpoints["token"])
            let sent = exchange.params
            #expect(sent["code"] == "fixture-code")
            for (name, value) in expect["token_params"]?.objectValue ?? [:] {
                #expect(sent[name] == value.stringValue, "token request param \(name)")
            }
            #expect((sent["code_verifier"] != nil) == pkce)
            let basic = "Basic " + Data("\(Self.clientID):\(Self.clientSecret)".utf8).base64EncodedString()
            switch expect["token_client_auth"]?.stringValue {
            case "basic", "basic+json":
                #expect(exchange.header("Authorization") == basic && sent["client_secret"] == nil)
                if expect["token_client_auth"] == .string("basic+json") {
                    #expect(exchange.header("Content-Type") == "application/json")
                }
            case "post", "post+json":
                #expect(exchange.header("Authorization") == nil)
                #expect(sent["client_id"] == Self.clientID && sent["client_secret"] == Self.clientSecret)
                if expect["token_client_auth"] == .string("post+json") {
                    #expect(exchange.header("Content-Type") == "application/json")
                }
            case "none":
                #expect(exchange.header("Authorization") == nil && sent["client_secret"] == nil)
            case let other:
                Issue.record("fixture has an unknown token_client_auth \(String(describing: other))")
            }

            // What the app gets.
            let done = try await call(.post, "/v1/auth/authorize", authorize)
            #expect(done.objectValue?["status"] == .string("completed"))
            let context = done.objectValue?["context"]?.objectValue
            #expect(context?["token"] == expect["access_token"])
            let granted = Set(done.objectValue?["scopes"]?.arrayValue?.compactMap(\.stringValue) ?? [])
            #expect(granted == Set(expect["scopes"]?.arrayValue?.compactMap(\.stringValue) ?? []))
            if let info = expect["user_info"] { #expect(context?["user_info"] == info) }
            if let userInfo = fixture.endpoints["user_info"], fixture.userInfoResponse != nil {
                #expect(transport.requests.contains { $0.bareURL == userInfo })
            }

            // Nothing went anywhere but the documented endpoints, refreshes included.
            let documented = Set(fixture.endpoints.values)
            defer { #expect(transport.requests.allSatisfy { documented.contains($0.bareURL) }) }

            // Expiry and refresh: fresh before half the lifetime, refreshed after expiry.
            guard fixture.refreshResponse != nil, expect["refresh_token"] != nil else { return }
            let lifetime =
                expect["expires_in"]?.doubleValue ?? (expect["expires_at_unix"]?.doubleValue).map {
                    $0 - clock.withLock { $0.timeIntervalSince1970 }
                } ?? BuiltInProviders.catalog.entry(fixture.providerID)?.defaultTokenLifetime
                ?? GatehouseConfiguration().defaultTokenLifetime
            clock.withLock { $0 += lifetime / 2 - 5 }
            #expect(
                try await call(.post, "/v1/auth/authorize", authorize).objectValue?["context"]?.objectValue?["token"]
                    == expect["access_token"])
            #expect(!transport.requests.contains { $0.params["grant_type"] == "refresh_token" })
            clock.withLock { $0 += lifetime }
            let refreshed = try await call(.post, "/v1/auth/authorize", authorize)
            #expect(refreshed.objectValue?["context"]?.objectValue?["token"] == expect["refreshed_access_token"])
            let refreshes = transport.requests.filter { $0.params["grant_type"] == "refresh_token" }
            #expect(refreshes.count == 1)
            for (name, value) in expect["refresh_params"]?.objectValue ?? [:] {
                #expect(refreshes.first?.params[name] == value.stringValue, "refresh request param \(name)")
            }
            #expect(
                refreshes.first.map { $0.params["refresh_token"] } == expect["refresh_token"]?.stringValue)
            #expect(refreshes.allSatisfy { $0.bareURL == fixture.endpoints["refresh"] })

            // The refreshed lifetime holds until its own half, then the next refresh sends the
            // rotated refresh token, or the first one again when the provider keeps it.
            if let refreshedLifetime = expect["refreshed_expires_in"]?.doubleValue {
                clock.withLock { $0 += refreshedLifetime / 2 - 5 }
                #expect(
                    try await call(.post, "/v1/auth/authorize", authorize).objectValue?["context"]?.objectValue?["token"]
                        == expect["refreshed_access_token"])
                #expect(transport.requests.count { $0.params["grant_type"] == "refresh_token" } == 1)
                clock.withLock { $0 += refreshedLifetime }
            } else {
                clock.withLock { $0 += 10 * 365 * 24 * 3600 }
            }
            _ = try await call(.post, "/v1/auth/authorize", authorize)
            let later = transport.requests.filter { $0.params["grant_type"] == "refresh_token" }
            #expect(later.count == 2)
            #expect(
                later.last.map { $0.params["refresh_token"] }
                    == (expect["refreshed_refresh_token"] ?? expect["refresh_token"])?.stringValue)
        }
    }
}
