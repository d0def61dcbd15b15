import CoreMetrics
import MetricKeys
import Prometheus

/// swift-metrics' factory for a Prometheus registry, which also gives each family the help
/// text and buckets its `MetricKey` declares. swift-prometheus's own factory registers every
/// family with empty help (so no `# HELP` line) and one bucket list for all timers.
///
/// Metrics recorded under a name no key declares still work: they get no help and the
/// request-latency buckets, and the metrics tests find them.
struct DescribedMetricsFactory: MetricsFactory {
    let registry: PrometheusCollectorRegistry
    let keys: [String: MetricKey]
    private let plain: PrometheusMetricsFactory

    init(registry: PrometheusCollectorRegistry, keys: [MetricKey]) {
        self.registry = registry
        self.keys = Dictionary(keys.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        plain = PrometheusMetricsFactory(registry: registry)
    }

    private func descriptor(_ name: String) -> MetricNameDescriptor {
        MetricNameDescriptor(described: name, help: keys[name]?.help ?? "")
    }

    func makeCounter(label: String, dimensions: [(String, String)]) -> any CounterHandler {
        registry.makeCounter(descriptor: descriptor(label), labels: dimensions)
    }

    func makeFloatingPointCounter(label: String, dimensions: [(String, String)]) -> any FloatingPointCounterHandler {
        registry.makeCounter(descriptor: descriptor(label), labels: dimensions)
    }

    func makeRecorder(label: String, dimensions: [(String, String)], aggregate: Bool) -> any RecorderHandler {
        guard aggregate else { return registry.makeGauge(descriptor: descriptor(label), labels: dimensions) }
        return registry.makeValueHistogram(descriptor: descriptor(label), labels: dimensions, buckets: keys[label]?.buckets ?? [])
    }

    func makeMeter(label: String, dimensions: [(String, String)]) -> any MeterHandler {
        registry.makeGauge(descriptor: descriptor(label), labels: dimensions)
    }

    func makeTimer(label: String, dimensions: [(String, String)]) -> any TimerHandler {
        let seconds = keys[label].map(\.buckets).flatMap { $0.isEmpty ? nil : $0 } ?? MetricKey.requestLatencyBuckets
        let buckets = seconds.map { Duration.nanoseconds(Int64(($0 * 1e9).rounded())) }
        return registry.makeDurationHistogram(descriptor: descriptor(label), labels: dimensions, buckets: buckets)
    }

    // Unregistering needs nothing of the help text: swift-prometheus's own factory does it.
    func destroyCounter(_ handler: any CounterHandler) { plain.destroyCounter(handler) }
    func destroyFloatingPointCounter(_ handler: any FloatingPointCounterHandler) { plain.destroyFloatingPointCounter(handler) }
    func destroyRecorder(_ handler: any RecorderHandler) { plain.destroyRecorder(handler) }
    func destroyMeter(_ handler: any MeterHandler) { plain.destroyMeter(handler) }
    func destroyTimer(_ handler: any TimerHandler) { plain.destroyTimer(handler) }
}

extension MetricNameDescriptor {
    /// A name taken whole, as swift-metrics labels come, with its help text.
    init(described name: String, help: String) {
        self.init(metricName: name, unitName: "", helpText: help)
    }
}
