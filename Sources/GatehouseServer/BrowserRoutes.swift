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
            let query = request.decodedQuery
            return await page(
                for: await broker.callback(providerID: provider, query: query), link: query["state"].map { .callbackState($0) },
                context)
        }
        routes.get(RouterPath(AuthBroker.identityCallbackPath)) { request, context in
            let query = request.decodedQuery
            return await page(
                for: await broker.identityCallback(query: query), link: query["state"].map { .verificationState($0) }, context)
        }
        routes.get("/v1/oauth/complete/:flow") { _, context in
            let flow = try context.parameters.require("flow")
            return await page(for: await broker.continuation(verificationID: flow), link: .verificationID(flow), context)
        }
        // HEAD does not do what GET does here: a callback's state and code work once, and a
        // HEAD (a link checker, a prefetch) would spend them before the person's GET.
        for path in ["/v1/oauth/:provider/callback", AuthBroker.identityCallbackPath, "/v1/oauth/complete/:flow"] {
            routes.head(RouterPath(path)) { _, _ in HTMLPage.headers() }
        }
        return routes
    }

    /// The page, with a failure's detail logged under the request id the page shows, and a link
    /// back to the app's page the flow `link` names was started with, when it has one.
    func page(for outcome: CallbackOutcome, link: SignInLink?, _ context: GatehouseRequestContext) async -> Response {
        guard case .failure(let reason, let detail) = outcome else {
            return HTMLPage.response(for: outcome, reference: RequestCorrelation.id)
        }
        context.logger.log(
            level: reason.isThePersonsDoing ? .notice : .warning, "sign-in not completed",
            metadata: ["reason": "\(reason)", "detail": "\(detail)"])
        var back: String?
        if let link { back = await broker.appAddress(for: link) }
        return HTMLPage.response(for: outcome, reference: RequestCorrelation.id, back: back)
    }
}
