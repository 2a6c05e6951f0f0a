import GatehouseCore
import Hummingbird
import NIOCore
import Prometheus

/// `GET /metrics`: every metric in Prometheus' text format, for the scrape token of `metrics.token` or an admin key (Prometheus sends it
/// with `authorization: {credentials: arc_…}`), so it is never public by accident.
struct MetricsRoutes {
    let registry: PrometheusCollectorRegistry
    /// Sets the gauges read when scraped (open connections), before the text is written.
    let sample: @Sendable () -> Void

    var collection: RouteCollection<GatehouseRequestContext> {
        let routes = RouteCollection(context: GatehouseRequestContext.self)
        routes.get { _, _ in
            sample()
            var text: [UInt8] = []
            text.reserveCapacity(16_384)
            registry.emit(into: &text)
            return Response(
                status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8", .cacheControl: "no-store"],
                body: .init(byteBuffer: ByteBuffer(bytes: text)))
        }
        return routes
    }
}

extension PrometheusMetricsFactory {
    /// The factory `serve` records through: request and provider-call histograms with buckets
    /// from 1 ms to 60 s (long-polls wait up to 59 s).
    static func gatehouse(registry: PrometheusCollectorRegistry) -> PrometheusMetricsFactory {
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.defaultDurationHistogramBuckets = [
            .milliseconds(1), .microseconds(2500), .milliseconds(5), .milliseconds(10), .milliseconds(25),
            .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1),
            .milliseconds(2500), .seconds(5), .seconds(10), .seconds(30), .seconds(60),
        ]
        return factory
    }
}
