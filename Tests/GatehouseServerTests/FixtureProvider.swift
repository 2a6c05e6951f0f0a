import Foundation
import GatehouseCore
import GatehouseWire
import Synchronization
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
    let expect: [String: JSONValue]

    enum CodingKeys: String, CodingKey {
        case tenant, expect
        case providerID = "provider_id"
        case tokenResponse = "token_response"
        case tokenResponseContentType = "token_response_content_type"
        case refreshResponse = "refresh_response"
        case userInfoResponse = "user_info_response"
        case introspectionResponse = "introspection_response"
    }

    var testDescription: String { providerID }

    static func all() throws -> [ProviderFixture] {
        // The fixtures folder beside this file.
        let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/providers")
        let files = try FileManager.default.contentsOfDirectory(at: directory, includingPropertiesForKeys: nil)
            .filter { $0.pathExtension == "json" }.sorted { $0.lastPathComponent < $1.lastPathComponent }
        return try files.map { try JSONDecoder().decode(ProviderFixture.self, from: Data(contentsOf: $0)) }
    }
}

/// An in-process stand-in for a provider that answers with a fixture's documented shapes and
/// records what Gatehouse sent.
final class FixtureTransport: HTTPTransport {
    struct Endpoints: Sendable {
        var userInfo: String?
        var introspection: String?
    }

    private let fixture: ProviderFixture
    private let state = Mutex<(requests: [OutboundRequest], endpoints: Endpoints)>(([], Endpoints()))

    init(fixture: ProviderFixture) { self.fixture = fixture }

    var requests: [OutboundRequest] { state.withLock { $0.requests } }
    func setEndpoints(_ endpoints: Endpoints) { state.withLock { $0.endpoints = endpoints } }

    /// The parameters of a request: query, form or JSON body.
    static func params(of request: OutboundRequest) -> [String: String] {
        var params = FormEncoding.decode(String(request.url.split(separator: "?", maxSplits: 1).dropFirst().first ?? ""))
        let body = request.body ?? []
        if request.header("Content-Type") == "application/json" {
            let object = (try? JSONDecoder().decode([String: String].self, from: Data(body))) ?? [:]
            params.merge(object) { $1 }
        } else if !body.isEmpty {
            params.merge(FormEncoding.decode(String(decoding: body, as: UTF8.self))) { $1 }
        }
        return params
    }

    func send(_ request: OutboundRequest) async throws -> OutboundResponse {
        let endpoints = state.withLock {
            $0.requests.append(request)
            return $0.endpoints
        }
        let bare = String(request.url.split(separator: "?").first ?? "")
        let params = Self.params(of: request)
        if let introspection = endpoints.introspection, bare == introspection, let body = fixture.introspectionResponse {
            return try Self.json(body)
        }
        if let userInfo = endpoints.userInfo, bare == userInfo, let body = fixture.userInfoResponse {
            return try Self.json(body)
        }
        switch params["grant_type"] {
        case "authorization_code":
            if fixture.tokenResponseContentType == "application/x-www-form-urlencoded" {
                let fields = (fixture.tokenResponse.objectValue ?? [:]).compactMapValues(\.stringValue)
                return OutboundResponse(
                    status: 200, headers: ["content-type": "application/x-www-form-urlencoded"],
                    body: Array(FormEncoding.encode(fields).utf8))
            }
            return try Self.json(fixture.tokenResponse)
        case "refresh_token":
            guard let refresh = fixture.refreshResponse else {
                return OutboundResponse(status: 400, body: Array(#"{"error":"invalid_grant"}"#.utf8))
            }
            return try Self.json(refresh)
        default:
            return OutboundResponse(
                status: 404, headers: ["content-type": "application/json"], body: Array(#"{"error":"not_found"}"#.utf8))
        }
    }

    static func json(_ value: JSONValue) throws -> OutboundResponse {
        OutboundResponse(status: 200, headers: ["content-type": "application/json"], body: Array(try JSONEncoder().encode(value)))
    }
}
