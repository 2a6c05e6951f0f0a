import GatehouseCore
import HTTPTypes
import Hummingbird

/// The pages a person's browser sees: the provider callback, the app's sign-in coming back
/// (OIDC user verification), and the continuation.
struct BrowserRoutes {
    let broker: AuthBroker

    /// The routes, at the root.
    var collection: RouteCollection<GatehouseRequestContext> {
        let routes = RouteCollection(context: GatehouseRequestContext.self)
        routes.get("/v1/oauth/:provider/callback") { request, context in
            let provider = try context.parameters.require("provider")
            return Self.response(for: await broker.callbackPage(providerID: provider, query: request.decodedQuery), context)
        }
        routes.get(RouterPath(AuthBroker.identityCallbackPath)) { request, context in
            Self.response(for: await broker.identityCallbackPage(query: request.decodedQuery), context)
        }
        routes.get("/v1/oauth/complete/:flow") { _, context in
            let flow = try context.parameters.require("flow")
            return Self.response(for: await broker.continuationPage(verificationID: flow), context)
        }
        // HEAD does not do what GET does here: a callback's state and code work once, and a
        // HEAD (a link checker, a prefetch) would spend them before the person's GET.
        for path in ["/v1/oauth/:provider/callback", AuthBroker.identityCallbackPath, "/v1/oauth/complete/:flow"] {
            routes.head(RouterPath(path)) { _, _ in HTMLPage.headers() }
        }
        return routes
    }

    /// The page, with a failure's detail logged under the request id the page shows, and a link
    /// back to the app beside it when the flow had one.
    static func response(for page: SignInPage, _ context: GatehouseRequestContext) -> Response {
        if case .failure(let reason, let detail) = page.outcome {
            context.logger.log(
                level: reason.isThePersonsDoing ? .notice : .warning, "sign-in not completed",
                metadata: ["reason": "\(reason)", "detail": "\(detail)"])
        }
        return HTMLPage.response(for: page.outcome, reference: RequestCorrelation.id, back: page.back)
    }
}
