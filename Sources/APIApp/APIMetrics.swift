import Counters
import HTTP1
import LinuxIO
import Metrics
import Prometheus

/// What `api` reports on `/metrics`, through swift-metrics with the Prometheus backend.
///
/// One per event loop: the metric handles are looked up once per (route, status) and cached
/// here, so the request path never goes through the factory's lock; the handles themselves
/// are atomic and shared by all loops.
final class APIMetrics {
    private let registry: PrometheusCollectorRegistry
    private let openConnections: @Sendable () -> Int
    /// Keyed by route index × 1000 + status.
    private var requestCounters: [Int: Metrics.Counter] = [:]
    /// Keyed by route index (0: unknown paths).
    private var latencyTimers: [Int: Metrics.Timer] = [:]
    private let connections = Gauge(label: "biggoal_http_open_connections")
    private let receivedValue = Gauge(label: "biggoal_received_hello")
    private let sentValue = Gauge(label: "biggoal_sent_hello")

    init(registry: PrometheusCollectorRegistry, openConnections: @escaping @Sendable () -> Int) {
        self.registry = registry
        self.openConnections = openConnections
    }

    /// Counts one answered request and its latency; unknown paths count as route `other`.
    func record(route: Route?, status: Int, startedAt: UInt64) {
        let index = route?.index ?? 0
        let label = route?.label ?? "other"
        let key = index * 1000 + status
        let counter = requestCounters[key] ?? {
            let made = Metrics.Counter(label: "biggoal_http_requests_total", dimensions: [("route", label), ("status", String(status))])
            requestCounters[key] = made
            return made
        }()
        counter.increment()
        let timer = latencyTimers[index] ?? {
            let made = Metrics.Timer(label: "biggoal_http_request_duration_seconds", dimensions: [("route", label)])
            latencyTimers[index] = made
            return made
        }()
        timer.recordNanoseconds(Int64(MonotonicClock.nanoseconds() &- startedAt))
    }

    /// Remembers the last value seen of a counter.
    func observe(_ counter: Counters.Counter, value: Int) {
        (counter == .received ? receivedValue : sentValue).record(value)
    }

    /// The exposition, in the Prometheus text format.
    func render() -> HTTPResponse {
        connections.record(openConnections())
        return HTTPResponse(status: .ok, contentType: "text/plain; version=0.0.4; charset=utf-8", body: registry.emitToBuffer())
    }
}
