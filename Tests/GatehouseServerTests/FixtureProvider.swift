import Foundation
import GatehouseCore
import GatehouseTestSupport
import GatehouseWire
import Testing

/// One provider fixture: documented response shapes and what Gatehouse must make of them.
struct ProviderFixture: Decodable, Sendable, CustomTestStringConvertible {
    let providerID: String
    let tenant: String?
    let tokenResponse: JSONValue
    let tokenResponseContentType: String?
    let refreshResponse: JSONValue?
    let userInfoResponse: JSONValue?
    let introspectionResponse: JSONValue?
    /// Like Zendesk: the answers carry `expires_in` only when the request sent one.
    let expiresInOnlyWhenRequested: Bool?
    let expect: [String: JSONValue]

    enum CodingKeys: String, CodingKey {
        case tenant, expect
        case providerID = "provider_id"
        case tokenResponse = "token_response"
        case tokenResponseContentType = "token_response_content_type"
        case refreshResponse = "refresh_response"
        case userInfoResponse = "user_info_response"
        case introspectionResponse = "introspection_response"
        case expiresInOnlyWhenRequested = "expires_in_only_when_requested"
    }

    var testDescription: String { providerID }

    /// The addresses the provider's documentation gives, by request (`authorize`, `token`,
    /// `refresh`, `user_info`, `introspection`), with the fixture's tenant filled in.
    var endpoints: [String: String] { expect["endpoints"]?.objectValue?.compactMapValues(\.stringValue) ?? [:] }

    static func all() throws -> [ProviderFixture] {
        // The fixtures folder beside this file.
        let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/providers")
        let files = try FileManager.default.contentsOfDirectory(at: directory, includingPropertiesForKeys: nil)
            .filter { $0.pathExtension == "json" }.sorted { $0.lastPathComponent < $1.lastPathComponent }
        return try files.map { try JSONDecoder().decode(ProviderFixture.self, from: Data(contentsOf: $0)) }
    }
}

/// A provider that answers with a fixture's documented shapes at the endpoints its documentation
/// names (`expect.endpoints`), scripted on the shared `ScriptedTransport` (which records what
/// Gatehouse sent); a request to any other address gets a 404.
struct FixtureProvider: Sendable {
    let transport = ScriptedTransport()

    init(fixture: ProviderFixture) {
        transport.respond { request in try Self.answer(request, fixture: fixture) }
    }

    private static func answer(_ request: OutboundRequest, fixture: ProviderFixture) throws -> OutboundResponse {
        let endpoints = fixture.endpoints
        if request.bareURL == endpoints["introspection"], let body = fixture.introspectionResponse {
            return try ScriptedTransport.json(body)
        }
        if request.bareURL == endpoints["user_info"], let body = fixture.userInfoResponse {
            return try ScriptedTransport.json(body)
        }
        // A provider that states the lifetime only when asked for one.
        func stated(_ answer: JSONValue) -> JSONValue {
            guard fixture.expiresInOnlyWhenRequested == true, request.params["expires_in"] == nil,
                case .object(var fields) = answer
            else { return answer }
            fields["expires_in"] = nil
            return .object(fields)
        }
        switch request.params["grant_type"] {
        case "authorization_code" where request.bareURL == endpoints["token"]:
            if fixture.tokenResponseContentType == "application/x-www-form-urlencoded" {
                let fields = (fixture.tokenResponse.objectValue ?? [:]).compactMapValues(\.stringValue)
                return OutboundResponse(
                    status: 200, headers: ["content-type": "application/x-www-form-urlencoded"],
                    body: Array(FormEncoding.encode(fields).utf8))
            }
            return try ScriptedTransport.json(stated(fixture.tokenResponse))
        case "refresh_token" where request.bareURL == endpoints["refresh"]:
            guard let refresh = fixture.refreshResponse else {
                return OutboundResponse(status: 400, body: Array(#"{"error":"invalid_grant"}"#.utf8))
            }
            return try ScriptedTransport.json(stated(refresh))
        default:
            return ScriptedTransport.json(404, #"{"error":"not_found"}"#)
        }
    }
}
