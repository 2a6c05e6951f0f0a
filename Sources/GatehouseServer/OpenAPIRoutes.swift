import Hummingbird
import NIOCore

/// `GET /v1/openapi.json`: the OpenAPI 3.1 document of every route Gatehouse serves, embedded
/// at build time from `OpenAPI/openapi.json`, also at `GET /v1/swagger`, where Arcade's Engine
/// serves its own (tools that read the API's document look there). It holds nothing secret and
/// needs no key, so any page may read it (Swagger UI served from elsewhere). The e2e suite checks
/// every response it gets against it, and schemathesis fuzzes the live server with it in CI.
struct OpenAPIRoutes {
    private static let document = ByteBuffer(bytes: PackageResources.openapi_json)

    var collection: RouteCollection<GatehouseRequestContext> {
        let routes = RouteCollection(context: GatehouseRequestContext.self)
        for path in ["/v1/openapi.json", "/v1/swagger"] {
            routes.get(RouterPath(path)) { _, _ in
                Response(
                    status: .ok, headers: [.contentType: "application/json", .accessControlAllowOrigin: "*"],
                    body: .init(byteBuffer: Self.document))
            }
        }
        return routes
    }
}
