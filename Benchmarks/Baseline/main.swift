import Foundation
import GatehouseWire
import Hummingbird

// The thinnest server that does what a hot `POST /v1/auth/authorize` must do at the least: read
// the same body into the same wire type and answer the same JSON (sorted keys, the same fields,
// a token of the same length), with nothing looked up. The benchmark measures Gatehouse against
// it, side by side on the same machine: `bash Benchmarks/run.sh`.
//
// Usage: gatehouse-baseline PORT

let port = CommandLine.arguments.dropFirst().first.flatMap(Int.init) ?? 8090
let token = String(repeating: "t", count: 36)
let encoder = JSONEncoder()
encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]

// The answer to an authorize of an authorized user, for the hot route and the storm's.
func completed(_ asked: AuthorizationRequest) throws -> Response {
    let answer = AuthorizationResponse(
        id: "ac_0123456789abcdefghijkl", status: .completed, scopes: asked.authRequirement.oauth2?.scopes ?? [],
        providerID: asked.authRequirement.providerID, userID: asked.userID,
        context: .init(token: token, userInfo: [:]))
    return Response(
        status: .ok,
        headers: [.contentType: "application/json; charset=utf-8", .cacheControl: "no-store"],
        body: .init(byteBuffer: ByteBuffer(bytes: try encoder.encode(answer))))
}

let router = Router()
router.post("v1/auth/authorize") { request, _ -> Response in
    let body = try await request.body.collect(upTo: 64 * 1024)
    return try completed(try JSONDecoder().decode(AuthorizationRequest.self, from: Data(buffer: body)))
}
// The same for a parked long-poll: `status?wait=N` holds the request N seconds (no lookup, no
// notifier) and answers pending, so the benchmark can tell what a parked request costs
// Hummingbird itself from what Gatehouse adds.
router.get("v1/auth/status") { request, _ -> Response in
    let wait = request.uri.queryParameters.get("wait", as: Int.self) ?? 0
    try? await Task.sleep(for: .seconds(wait))
    let answer = AuthorizationResponse(id: request.uri.queryParameters.get("id") ?? "", status: .pending)
    return Response(
        status: .ok,
        headers: [.contentType: "application/json; charset=utf-8", .cacheControl: "no-store"],
        body: .init(byteBuffer: ByteBuffer(bytes: try encoder.encode(answer))))
}
// The same for the refresh storm: `POST /v1/auth/authorize/after?ms=N` answers like the hot
// route, N ms after its body was read, so the benchmark can tell how long the HTTP layer itself
// takes to read and answer a burst of requests that each wait as long as one refresh.
router.post("v1/auth/authorize/after") { request, _ -> Response in
    let body = try await request.body.collect(upTo: 64 * 1024)
    let asked = try JSONDecoder().decode(AuthorizationRequest.self, from: Data(buffer: body))
    try? await Task.sleep(for: .milliseconds(request.uri.queryParameters.get("ms", as: Int.self) ?? 0))
    return try completed(asked)
}
let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: port)))
try await app.runService()
