/// A metric's name, the sentence `/metrics` prints as its `# HELP`, and for a timer the
/// bucket bounds its histogram uses.
///
/// swift-metrics has no place for help text or buckets, so the code that records a metric
/// declares its key next to it (a `static let`), makes its handles with `label: key.name`,
/// and lists its keys for the executable, which hands them all to the metrics bootstrap.
public struct MetricKey: Sendable, Hashable {
    public let name: String
    public let help: String
    /// Upper bounds of a timer's histogram buckets, in seconds; empty for other metrics.
    public let buckets: [Double]

    public init(_ name: String, help: String, buckets: [Double] = []) {
        self.name = name
        self.help = help
        self.buckets = buckets
    }
}

extension MetricKey {
    /// Bounds for request latencies this server answers in tens of microseconds: fine
    /// below a millisecond, where nearly every request lands, and up to a second.
    public static let requestLatencyBuckets: [Double] = [
        0.000_05, 0.000_1, 0.000_25, 0.000_5, 0.001, 0.002_5, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1,
    ]

    /// Bounds for work that waits on a broker's confirm: from a quarter of a millisecond to
    /// the ten seconds after which something is plainly stuck.
    public static let brokerLatencyBuckets: [Double] = [
        0.000_25, 0.000_5, 0.001, 0.002_5, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
    ]
}
