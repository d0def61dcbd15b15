import AMQP
import Messaging

/// The consumer's side of the broker: one connection, one channel, one subscription with
/// manual acknowledgements and a prefetch limit.
///
/// Bodies are not kept: they are read and let go of frame by frame (a delivery's `bodySize`
/// still says how long each was), since the consumer decides on properties and headers
/// alone and a publisher may send 128 MiB.
///
/// Thread-confined. Delivery tags belong to this source's channel: after a reconnect a new
/// source is made, and the old tags are never acknowledged on it.
public final class AMQPDeliverySource: DeliverySource {
    /// What to declare and consume.
    public struct Topology: Sendable, Equatable {
        public var queue: String
        public var prefetch: Int
        public var declare: Bool
        public var replyExchange: String
        public var replyRoutingKey: String
        public var replyQueue: String
        /// Declared with the rest when not nil.
        public var deadLetterQueue: String?
        public var queueType: QueueType
        /// The broker's delivery limit of a quorum inbound queue.
        public var deliveryLimit: Int

        public init(queue: String, prefetch: Int, declare: Bool, replyExchange: String, replyRoutingKey: String, replyQueue: String,
                    deadLetterQueue: String? = nil, queueType: QueueType = .classic, deliveryLimit: Int = 5) {
            self.queueType = queueType
            self.deliveryLimit = deliveryLimit
            self.queue = queue
            self.prefetch = prefetch
            self.declare = declare
            self.replyExchange = replyExchange
            self.replyRoutingKey = replyRoutingKey
            self.replyQueue = replyQueue
            self.deadLetterQueue = deadLetterQueue
        }

        /// The inbound queue as `publish` must declare it too.
        public var inbound: InboundQueue {
            InboundQueue(name: queue, type: queueType, deliveryLimit: deliveryLimit, deadLetterQueue: deadLetterQueue)
        }
    }

    private static let channel: UInt16 = 1
    /// Where queue depths are asked (passive declares), so that a missing queue closes this
    /// channel and not the subscription's.
    private static let questionChannel: UInt16 = 2
    let connection: AMQPConnection
    private var consumerTag: String?
    private var questionChannelOpen = false

    /// Connects, declares what `topology` names (idempotently) and subscribes.
    public init(endpoint: AMQPEndpoint, topology: Topology) throws(MessagingError) {
        do {
            connection = try endpoint.connect()
            try connection.openChannel(Self.channel)
            if topology.declare {
                // The dead-letter queue first: a quorum inbound queue names it.
                if let deadLetterQueue = topology.deadLetterQueue {
                    try connection.declareQueue(deadLetterQueue, durable: true, arguments: topology.queueType.arguments, channel: Self.channel)
                }
                try connection.declareQueue(topology.queue, durable: true, arguments: topology.inbound.arguments, channel: Self.channel)
                try connection.declareExchange(topology.replyExchange, type: "direct", durable: true, channel: Self.channel)
                try connection.declareQueue(topology.replyQueue, durable: true, arguments: topology.queueType.arguments, channel: Self.channel)
                try connection.bindQueue(topology.replyQueue, exchange: topology.replyExchange,
                                         routingKey: topology.replyRoutingKey, channel: Self.channel)
            }
            try connection.setPrefetch(topology.prefetch, channel: Self.channel)
            consumerTag = try connection.consume(topology.queue, channel: Self.channel)
        } catch {
            throw MessagingError(error)
        }
    }

    public func nextDeliveries(limit: Int, waitMilliseconds: Int) throws(MessagingError) -> (deliveries: [Delivery], cancelled: Bool) {
        var deliveries: [Delivery] = []
        var wait = waitMilliseconds
        do {
            while deliveries.count < limit {
                guard let event = try connection.nextEvent(timeoutMilliseconds: wait, keepingBodiesUpTo: 0) else { break }
                switch event {
                case .delivery(let delivery):
                    deliveries.append(Delivery(tag: delivery.deliveryTag, redelivered: delivery.redelivered,
                                               message: Message(properties: delivery.properties, body: delivery.body),
                                               bodySize: delivery.bodySize))
                    wait = 0
                case .consumerCancelled:
                    consumerTag = nil
                    return (deliveries, true)
                default:
                    continue
                }
            }
        } catch {
            throw MessagingError(error)
        }
        return (deliveries, false)
    }

    public func ack(_ tag: UInt64, multiple: Bool) throws(MessagingError) {
        do { try connection.ack(tag, multiple: multiple, channel: Self.channel) } catch { throw MessagingError(error) }
    }

    public func requeue(_ tag: UInt64) throws(MessagingError) {
        do { try connection.reject(tag, requeue: true, channel: Self.channel) } catch { throw MessagingError(error) }
    }

    public func readyMessages(in queues: [String]) throws(MessagingError) -> [String: Int] {
        var counts: [String: Int] = [:]
        for queue in queues {
            do {
                if !questionChannelOpen {
                    try connection.openChannel(Self.questionChannel)
                    questionChannelOpen = true
                }
                counts[queue] = try connection.messageCount(queue, channel: Self.questionChannel)
            } catch where error.code == .channelClosed {
                // The broker closed the question channel (no such queue): open it again next time.
                questionChannelOpen = false
            } catch {
                throw MessagingError(error)
            }
        }
        return counts
    }

    public func cancel() {
        guard let consumerTag else { return }
        self.consumerTag = nil
        try? connection.cancel(consumerTag: consumerTag, channel: Self.channel)
    }

    public func close() {
        connection.close()
    }
}
