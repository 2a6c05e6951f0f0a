import GatehouseCore
import GatehouseWire
import Hummingbird

/// `/v1/health`, the liveness check Arcade's clients call: the process answers, nothing else is
/// touched, so an orchestrator does not restart replicas because their database is down. And
/// `/v1/health/ready`, the readiness check for load balancers: the store answers, and no stop
/// has begun.
struct HealthRoutes {
    let store: any Store
    /// Says when a stop has begun (`api.shutdown_delay`).
    let drain: ShutdownDrain

    var collection: RouteCollection<GatehouseRequestContext> {
        let routes = RouteCollection(context: GatehouseRequestContext.self)
        routes.get("/v1/health") { _, _ in
            try JSONResponse.make(GatehouseWire.HealthResponse(healthy: true))
        }
        routes.get("/v1/health/ready") { _, context in
            guard !drain.isDraining else {
                return try JSONResponse.make(
                    GatehouseWire.HealthResponse(healthy: false, reason: "the server is shutting down"),
                    status: HTTPErrorMapping.status(for: .storeUnavailable))
            }
            do {
                try await store.ping()
                return try JSONResponse.make(GatehouseWire.HealthResponse(healthy: true))
            } catch {
                context.logger.warning("not ready: the store does not answer", metadata: ["error": "\(error)"])
                // The health body, not Arcade's error body: clients and the SDK read `reason`.
                return try JSONResponse.make(
                    GatehouseWire.HealthResponse(healthy: false, reason: "the store does not answer"),
                    status: HTTPErrorMapping.status(for: .storeUnavailable))
            }
        }
        return routes
    }
}
