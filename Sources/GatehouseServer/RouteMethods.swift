import HTTPTypes
import Hummingbird
import Synchronization

/// The methods each route path answers, so that a known path asked with another method is told
/// `405 Method Not Allowed` with an `Allow` header (RFC 9110 §15.5.6), where the router alone says
/// 404. Filled once, after every route is added; read only on the router's no-route answer.
final class RouteMethods: Sendable {
    private let routes = Mutex<[(path: RouterPath, method: HTTPRequest.Method)]>([])

    /// Takes the router's routes (call after the last route is added).
    func record(_ descriptions: [Router<GatehouseRequestContext>.RouteDescription]) {
        routes.withLock { $0 = descriptions.map { ($0.path, $0.method) } }
    }

    /// The methods some route answers on `path`, sorted and without repeats; empty when no route
    /// has this path. A path that answers `GET` answers `HEAD` too (the router makes those routes).
    func allowed(onPath path: String) -> [HTTPRequest.Method] {
        let segments = path.split(separator: "/", omittingEmptySubsequences: true)
        let methods = routes.withLock { routes in
            routes.filter { route in
                route.path.components.count == segments.count
                    && zip(route.path.components, segments).allSatisfy { $0 ~= $1 }
            }.map(\.method)
        }
        var answered = Set(methods)
        if answered.contains(.get) { answered.insert(.head) }
        return answered.sorted { $0.rawValue < $1.rawValue }
    }
}
