import CoreMetrics
import LinuxIO
import MetricKeys
import Prometheus
import Synchronization

/// What `/metrics` renders: everything recorded through swift-metrics, with help text from
/// the keys the program declared, plus `biggoal_build_info` and the standard `process_*`
/// metrics, which are read from the kernel at each scrape.
public final class MetricsExposition: Sendable {
    private let registry: PrometheusCollectorRegistry
    private let process: ProcessMetrics

    /// Bootstraps swift-metrics with a registry that knows `keys`. Once per process, as
    /// swift-metrics' bootstrap is.
    public static func bootstrap(program: String, version: String, keys: [MetricKey]) -> MetricsExposition {
        let exposition = MetricsExposition(program: program, version: version)
        MetricsSystem.bootstrap(exposition.factory(keys: keys))
        return exposition
    }

    /// An exposition of a registry of its own, without touching the global bootstrap; for
    /// tests, and for programs that record through `factory(keys:)` directly.
    public init(program: String, version: String) {
        registry = PrometheusCollectorRegistry()
        process = ProcessMetrics(registry: registry)
        registry.makeGauge(
            descriptor: MetricNameDescriptor(
                described: "biggoal_build_info", help: "Always 1; the labels say which program and which BigGoal version this is."
            ),
            labels: [("program", program), ("version", version)]
        ).set(to: 1.0)
    }

    /// A swift-metrics factory recording into this exposition.
    public func factory(keys: [MetricKey]) -> any MetricsFactory {
        DescribedMetricsFactory(registry: registry, keys: keys)
    }

    /// The Prometheus text format (version 0.0.4).
    public func render() -> [UInt8] {
        process.refresh()
        return registry.emitToBuffer()
    }

    /// The media type that goes with `render()`.
    public static let contentType = "text/plain; version=0.0.4; charset=utf-8"
}

/// Prometheus's standard process metrics, as its client libraries name them.
private final class ProcessMetrics: Sendable {
    private let cpu: Prometheus.Counter
    private let resident: Prometheus.Gauge
    private let virtual: Prometheus.Gauge
    private let openDescriptors: Prometheus.Gauge
    private let maxDescriptors: Prometheus.Gauge
    private let startTime: Prometheus.Gauge
    /// The CPU time already added to the counter, which only goes up by increments.
    private let countedCPUSeconds = Mutex<Double>(0)

    init(registry: PrometheusCollectorRegistry) {
        func described(_ name: String, _ help: String) -> MetricNameDescriptor {
            MetricNameDescriptor(described: name, help: help)
        }
        cpu = registry.makeCounter(descriptor: described("process_cpu_seconds_total", "Total user and system CPU time spent in seconds."))
        resident = registry.makeGauge(descriptor: described("process_resident_memory_bytes", "Resident memory size in bytes."))
        virtual = registry.makeGauge(descriptor: described("process_virtual_memory_bytes", "Virtual memory size in bytes."))
        openDescriptors = registry.makeGauge(descriptor: described("process_open_fds", "Number of open file descriptors."))
        maxDescriptors = registry.makeGauge(descriptor: described("process_max_fds", "Maximum number of open file descriptors."))
        startTime = registry.makeGauge(
            descriptor: described("process_start_time_seconds", "Start time of the process since unix epoch in seconds.")
        )
        refresh()
    }

    func refresh() {
        guard let now = ProcessStatistics.current() else { return }
        resident.set(Double(now.residentBytes))
        virtual.set(Double(now.virtualBytes))
        openDescriptors.set(Double(now.openDescriptors))
        maxDescriptors.set(Double(now.maxDescriptors))
        startTime.set(now.startTimeSeconds)
        countedCPUSeconds.withLock { counted in
            if now.cpuSeconds > counted {
                cpu.increment(by: now.cpuSeconds - counted)
                counted = now.cpuSeconds
            }
        }
    }
}
