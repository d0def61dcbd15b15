import Counters
import HTTP1
import LinuxIO
import MetricKeys
import Metrics
import MetricsSetup

/// What `api` reports on `/metrics`, through swift-metrics with the Prometheus backend.
///
/// One per event loop: the metric handles are looked up once per (route, status) and cached
/// here, so the request path never goes through the factory's lock; the handles themselves
/// are atomic and shared by all loops.
final class APIMetrics {
    static let requestsKey = MetricKey(
        "biggoal_http_requests_total",
        help: "Requests answered, by route and status; requests the parser rejected count as route other."
    )
    static let latencyKey = MetricKey(
        "biggoal_http_request_duration_seconds",
        help: "Time from a request's last byte read to its response handed to the socket, by route.",
        buckets: MetricKey.requestLatencyBuckets
    )
    static let openConnectionsKey = MetricKey("biggoal_http_open_connections", help: "Client connections open now.")
    static let receivedKey = MetricKey(
        "biggoal_received_hello", help: "The received counter as this instance last read or wrote it."
    )
    static let sentKey = MetricKey("biggoal_sent_hello", help: "The sent counter as this instance last read or wrote it.")
    static let keys = [requestsKey, latencyKey, openConnectionsKey, receivedKey, sentKey]

    private let exposition: MetricsExposition
    private let openConnections: @Sendable () -> Int
    /// Keyed by route index × 1000 + status.
    private var requestCounters: [Int: Metrics.Counter] = [:]
    /// Keyed by route index (0: unknown paths).
    private var latencyTimers: [Int: Metrics.Timer] = [:]
    private let connections = Gauge(label: APIMetrics.openConnectionsKey.name)
    private let receivedValue = Gauge(label: APIMetrics.receivedKey.name)
    private let sentValue = Gauge(label: APIMetrics.sentKey.name)

    init(exposition: MetricsExposition, openConnections: @escaping @Sendable () -> Int) {
        self.exposition = exposition
        self.openConnections = openConnections
    }

    /// Counts one answered request and its latency; unknown paths count as route `other`.
    func record(route: Route?, status: Int, startedAt: UInt64) {
        let index = route?.index ?? 0
        let label = route?.label ?? "other"
        let key = index * 1000 + status
        let counter = requestCounters[key] ?? {
            let made = Metrics.Counter(label: Self.requestsKey.name, dimensions: [("route", label), ("status", String(status))])
            requestCounters[key] = made
            return made
        }()
        counter.increment()
        let timer = latencyTimers[index] ?? {
            let made = Metrics.Timer(label: Self.latencyKey.name, dimensions: [("route", label)])
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
        return HTTPResponse(status: .ok, contentType: MetricsExposition.contentType, body: exposition.render())
    }
}
