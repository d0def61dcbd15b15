import MetricKeys
import Metrics
import Synchronization

/// What the consumer reports, through swift-metrics. Handles are made once; recording is
/// atomic and lock-free. Shared by the consumer's lanes (`amqp.channels`).
struct ConsumerMetrics: Sendable {
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

    static let deliveriesKey = MetricKey(
        "biggoal_consumer_deliveries_total",
        help: "Deliveries settled, by outcome: hello (counted), ignored, duplicate, failed (requeued), dead_lettered."
    )
    static let repliesKey = MetricKey(
        "biggoal_consumer_replies_total",
        help: "Replies published, by what the broker said: confirmed, returned, nacked, unsendable, lost."
    )
    static let reconnectsKey = MetricKey(
        "biggoal_consumer_reconnects_total", help: "Broker sessions started again after one ended."
    )
    static let nodeSwitchesKey = MetricKey(
        "biggoal_consumer_broker_node_switches_total",
        help: "Broker sessions that landed on another cluster node than the session before."
    )
    static let nodeKey = MetricKey(
        "biggoal_consumer_broker_node", help: "1 for the broker node the consumer is connected to, 0 for nodes it was on before."
    )
    static let inFlightKey = MetricKey(
        "biggoal_consumer_prefetch_in_flight", help: "Deliveries taken from the broker and not yet settled."
    )
    static let processingKey = MetricKey(
        "biggoal_consumer_processing_duration_seconds",
        help: "Time from a delivery taken to it settled: counted, answered, the reply confirmed and acknowledged.",
        buckets: MetricKey.brokerLatencyBuckets
    )
    static let queueMessagesKey = MetricKey(
        "biggoal_consumer_queue_messages",
        help: "Ready messages in the consumer's queues as the broker last told it, by queue and role (inbound, dead_letter)."
    )
    static let keys = [deliveriesKey, repliesKey, reconnectsKey, nodeSwitchesKey, nodeKey, inFlightKey, processingKey, queueMessagesKey]

    private let deliveries: [DeliveryOutcome: Counter]
    private let replies: [ReplyOutcome: Counter]
    let reconnects = Counter(label: ConsumerMetrics.reconnectsKey.name)
    /// Reconnections that landed on another node of the cluster than the last session's.
    let nodeSwitches = Counter(label: ConsumerMetrics.nodeSwitchesKey.name)
    /// 1 for the node the consumer is connected to (labelled `node="host:port"`), 0 for the
    /// ones it was connected to before.
    private let nodeGauges = NodeGauges()
    let inFlight = Gauge(label: ConsumerMetrics.inFlightKey.name)
    private let processing = Metrics.Timer(label: ConsumerMetrics.processingKey.name)

    /// Ready messages per queue, as the broker said; a gauge per queue, made the first time.
    private let queueGauges = QueueGauges()

    func queueDepths(_ depths: [String: Int], inbound: String, deadLetter: String?) {
        for (queue, count) in depths {
            queueGauges.gauge(queue: queue, role: queue == inbound ? "inbound" : "dead_letter").record(count)
        }
    }

    func connected(to node: String, lane: Int = 0) {
        nodeGauges.set(node, lane: lane)
    }

    func disconnected(lane: Int = 0) {
        nodeGauges.set(nil, lane: lane)
    }

    init() {
        deliveries = Dictionary(uniqueKeysWithValues: DeliveryOutcome.allCases.map {
            ($0, Counter(label: ConsumerMetrics.deliveriesKey.name, dimensions: [("outcome", $0.rawValue)]))
        })
        replies = Dictionary(uniqueKeysWithValues: ReplyOutcome.allCases.map {
            ($0, Counter(label: ConsumerMetrics.repliesKey.name, dimensions: [("outcome", $0.rawValue)]))
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

/// The `biggoal_consumer_broker_node` info gauges, one per node seen: 1 for the nodes a
/// lane is connected to.
private final class NodeGauges: Sendable {
    private struct State {
        var gauges: [String: Gauge] = [:]
        var nodeOfLane: [Int: String] = [:]
    }

    private let state = Mutex(State())

    func set(_ current: String?, lane: Int) {
        state.withLock { state in
            state.nodeOfLane[lane] = current
            if let current, state.gauges[current] == nil {
                state.gauges[current] = Gauge(label: ConsumerMetrics.nodeKey.name, dimensions: [("node", current)])
            }
            let inUse = Set(state.nodeOfLane.values)
            for (node, gauge) in state.gauges { gauge.record(inUse.contains(node) ? 1 : 0) }
        }
    }
}

/// The `biggoal_consumer_queue_messages` gauges, one per queue. Touched by the first lane
/// only, which reports the heartbeat.
private final class QueueGauges: @unchecked Sendable {
    private var gauges: [String: Gauge] = [:]

    func gauge(queue: String, role: String) -> Gauge {
        if let gauge = gauges[queue] { return gauge }
        let gauge = Gauge(label: ConsumerMetrics.queueMessagesKey.name, dimensions: [("queue", queue), ("role", role)])
        gauges[queue] = gauge
        return gauge
    }
}
