import GatehouseCore
import HTTPTypes
import Hummingbird

/// The pages a person's browser sees: the provider callback and the continuation.
struct BrowserRoutes {
    let broker: AuthBroker

    /// The routes, at the root.
    var collection: RouteCollection<GatehouseRequestContext> {
        let routes = RouteCollection(context: GatehouseRequestContext.self)
        routes.get("/v1/oauth/:provider/callback") { request, context in
            let provider = try context.parameters.require("provider")
            return HTMLPage.response(for: await broker.callback(providerID: provider, query: request.decodedQuery))
        }
        routes.get("/v1/oauth/complete/:flow") { _, context in
            let flow = try context.parameters.require("flow")
            do {
                return HTMLPage.response(for: try await broker.continuation(verificationID: flow))
            } catch {
                return HTMLPage.response(for: .failure(.internalError, message: "Gatehouse could not look up this sign-in."))
            }
        }
        return routes
    }
}
