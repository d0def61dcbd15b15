import AMQP

/// The kind of queue the consumer and `publish` declare, and the arguments that make it so.
/// Both declare the inbound queue, so both take its arguments from here: a queue declared
/// twice with different arguments is refused (406 PRECONDITION_FAILED).
public enum QueueType: String, Sendable, CaseIterable {
    /// A classic queue, declared without arguments as the original deployment's were.
    case classic
    /// A quorum queue: replicated over the cluster's nodes, it survives the loss of a minority.
    case quorum

    /// The inbound queue's arguments. A quorum queue also gets the broker's own delivery
    /// limit, which catches a message that ends its consumer before the consumer can count
    /// the attempt, and dead-letters such a message into `deadLetterQueue` rather than drop it.
    public func inboundArguments(deliveryLimit: Int, deadLetterQueue: String?) -> AMQPTable {
        guard self == .quorum else { return AMQPTable() }
        var entries: [(key: String, value: AMQPFieldValue)] = [("x-queue-type", .text("quorum")), ("x-delivery-limit", .int64(Int64(deliveryLimit)))]
        if let deadLetterQueue {
            entries += [("x-dead-letter-exchange", .text("")), ("x-dead-letter-routing-key", .text(deadLetterQueue))]
        }
        return AMQPTable(entries)
    }

    /// The arguments of the reply and dead-letter queues.
    public var arguments: AMQPTable {
        self == .quorum ? AMQPTable([("x-queue-type", .text("quorum"))]) : AMQPTable()
    }
}

/// The inbound queue as declared: its name and arguments.
public struct InboundQueue: Sendable, Equatable {
    public var name: String
    public var type: QueueType
    /// Deliveries of one message the broker allows (quorum queues), as `amqp.maxAttempts`.
    public var deliveryLimit: Int
    public var deadLetterQueue: String?

    public init(name: String, type: QueueType = .classic, deliveryLimit: Int = 5, deadLetterQueue: String? = nil) {
        self.name = name
        self.type = type
        self.deliveryLimit = deliveryLimit
        self.deadLetterQueue = deadLetterQueue
    }

    var arguments: AMQPTable { type.inboundArguments(deliveryLimit: deliveryLimit, deadLetterQueue: deadLetterQueue) }
}
