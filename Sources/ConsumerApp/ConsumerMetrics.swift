import Metrics

/// What the consumer reports, through swift-metrics. Handles are made once; recording is
/// atomic and lock-free.
struct ConsumerMetrics {
    enum DeliveryOutcome: String, CaseIterable {
        /// A hello counted now.
        case hello
        /// Not a hello: acknowledged, not counted.
        case ignored
        /// A hello seen before (same message id): not counted again.
        case duplicate
        /// Handed back to the queue after a fault.
        case failed
        /// Could not be answered (too large, refused too often, a reply the broker would not
        /// take): moved to the dead-letter queue, or dropped when there is none.
        case deadLettered = "dead_lettered"
    }

    enum ReplyOutcome: String, CaseIterable {
        case confirmed, returned, nacked, unsendable
        /// On a channel the broker closed before confirming it.
        case lost
    }

    private let deliveries: [DeliveryOutcome: Counter]
    private let replies: [ReplyOutcome: Counter]
    let reconnects = Counter(label: "biggoal_consumer_reconnects_total")
    /// Reconnections that landed on another node of the cluster than the last session's.
    let nodeSwitches = Counter(label: "biggoal_consumer_broker_node_switches_total")
    /// 1 for the node the consumer is connected to (labelled `node="host:port"`), 0 for the
    /// ones it was connected to before.
    private let nodeGauges = NodeGauges()
    let inFlight = Gauge(label: "biggoal_consumer_prefetch_in_flight")
    private let processing = Metrics.Timer(label: "biggoal_consumer_processing_duration_seconds")

    func connected(to node: String) {
        nodeGauges.set(node)
    }

    func disconnected() {
        nodeGauges.set(nil)
    }

    init() {
        deliveries = Dictionary(uniqueKeysWithValues: DeliveryOutcome.allCases.map {
            ($0, Counter(label: "biggoal_consumer_deliveries_total", dimensions: [("outcome", $0.rawValue)]))
        })
        replies = Dictionary(uniqueKeysWithValues: ReplyOutcome.allCases.map {
            ($0, Counter(label: "biggoal_consumer_replies_total", dimensions: [("outcome", $0.rawValue)]))
        })
    }

    func count(_ outcome: DeliveryOutcome, _ amount: Int = 1) {
        if amount > 0 { deliveries[outcome]!.increment(by: Int64(amount)) }
    }

    func count(_ outcome: ReplyOutcome) {
        replies[outcome]!.increment()
    }

    /// Records how long deliveries waited from being taken to being settled.
    func processed(_ count: Int, nanoseconds: Int64) {
        for _ in 0..<count { processing.recordNanoseconds(nanoseconds) }
    }
}

/// The `biggoal_consumer_broker_node` info gauges, one per node seen. Touched by the
/// consumer's thread only.
private final class NodeGauges: @unchecked Sendable {
    private var gauges: [String: Gauge] = [:]

    func set(_ current: String?) {
        if let current, gauges[current] == nil {
            gauges[current] = Gauge(label: "biggoal_consumer_broker_node", dimensions: [("node", current)])
        }
        for (node, gauge) in gauges { gauge.record(node == current ? 1 : 0) }
    }
}
