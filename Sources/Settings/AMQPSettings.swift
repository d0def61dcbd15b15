import Resilience
import SettingKeys

/// The `amqp.*` keys: the broker, and the names and limits the consumer works with.
public struct AMQPSettings: Sendable, Equatable {
    public static let queue = Setting.name("amqp.queue", default: "TestQueue", help: "The inbound queue.")
    public static let prefetch = Setting.integer("amqp.prefetch", default: 100, in: 1...65535,
                                                 help: "Unacknowledged deliveries the consumer may hold, shared out between its channels.")
    public static let channels = Setting.integer(
        "amqp.channels", default: 1, in: 1...16,
        help: "Channels the consumer drains the queue over at once, each with its own broker connections, Redis connection and thread, "
            + "and its share of amqp.prefetch (on two cores, more than one is not faster: see docs/performance.md)."
    )
    public static let declare = Setting.boolean("amqp.declare", default: true,
                                                help: "Declare the queues, exchange and binding at start.")
    public static let replyExchange = Setting.string("amqp.reply.exchange", default: "Meow", help: "Where replies go (a direct exchange).")
    public static let replyRoutingKey = Setting.string("amqp.reply.routingKey", default: "meow1", help: "The replies' routing key.")
    public static let replyQueue = Setting.name("amqp.reply.queue", default: "TestSentQueue", help: "The queue bound to the reply exchange.")
    public static let replyBody = Setting.string("amqp.reply.body", default: "И тебе привет!", help: "The reply's body.")
    public static let refusedReplyTo = Setting.list(
        "amqp.reply.refusedReplyTo", help: "Comma-separated queue names a hello may not name as reply_to, besides amqp.queue."
    )
    public static let maxAttempts = Setting.integer("amqp.maxAttempts", default: 5, in: 1...1000,
                                                    help: "Failed attempts at answering one hello before it is dead-lettered.")
    public static let deadLetterQueue = Setting.string(
        "amqp.deadLetterQueue", default: "", defaultText: "<amqp.queue>.dead",
        help: "Where unanswerable hellos go, with the reason in headers; empty drops them."
    ) { name in name.utf8.count > 255 ? "is longer than 255 bytes" : nil }
    public static let queueType = Setting.choice(
        "amqp.queueType", default: QueueKind.classic.rawValue, among: QueueKind.allCases.map(\.rawValue),
        help: "The inbound, reply and dead-letter queues' type: classic, as the original deployment's, or quorum, replicated over a cluster (with amqp.maxAttempts as the broker's x-delivery-limit)"
    )
    public static let maxMessageBytes = Setting.integer("amqp.maxMessageBytes", default: 1 << 20, in: 0...(512 << 20),
                                                        help: "Hellos with longer bodies are dead-lettered unread.")
    public static let reconnect = BackoffSettings(prefix: "amqp", what: "the broker",
                                                  default: Backoff(initial: .milliseconds(500), maximum: .seconds(30)))

    /// The keys `publish` reads too: it declares the inbound queue as the consumer does.
    static let connectionDeclarations = BrokerLink.declarations + [queue.declaration, queueType.declaration, maxAttempts.declaration,
                                                                   deadLetterQueue.declaration]

    static let declarations = connectionDeclarations + [
        prefetch.declaration, channels.declaration, declare.declaration, replyExchange.declaration, replyRoutingKey.declaration, replyQueue.declaration,
        replyBody.declaration, refusedReplyTo.declaration, maxMessageBytes.declaration,
    ] + reconnect.declarations

    /// Channel `lane`'s share of the prefetch: the consumer as a whole holds `prefetch`
    /// deliveries at most, however many channels it takes them over.
    public func prefetch(ofChannel lane: Int) -> Int {
        Self.share(of: prefetch, channels: channels, lane: lane)
    }

    /// Channel `lane`'s share of `prefetch` spread over `channels`: as even as it goes, the
    /// first channels taking one more.
    public static func share(of prefetch: Int, channels: Int, lane: Int) -> Int {
        prefetch / channels + (lane < prefetch % channels ? 1 : 0)
    }

    /// The queue types, as settings name them. (The AMQP adapter has its own, which the
    /// programs map this onto: settings must not load the broker library into `api`.)
    public enum QueueKind: String, Sendable, CaseIterable {
        case classic, quorum
    }

    public var broker: BrokerLink
    public var queue: String
    public var prefetch: Int
    public var channels: Int
    public var declare: Bool
    public var replyExchange: String
    public var replyRoutingKey: String
    public var replyQueue: String
    public var replyBody: String
    public var refusedReplyTo: [String]
    public var maxAttempts: Int
    /// Nil: hellos that cannot be answered are dropped (acknowledged) instead.
    public var deadLetterQueue: String?
    public var maxMessageBytes: Int
    public var queueType: QueueKind
    public var reconnect: Backoff

    init(_ source: SettingsSource) throws(SettingsError) {
        broker = try BrokerLink(source)
        queue = try source.read(Self.queue)
        prefetch = try source.read(Self.prefetch)
        channels = try source.read(Self.channels)
        // Each channel needs at least one delivery in hand.
        if channels > prefetch {
            throw SettingsError(key: Self.channels.key, source: "configuration",
                                problem: "\(channels) is more than amqp.prefetch (\(prefetch)): each channel needs at least one delivery in hand")
        }
        declare = try source.read(Self.declare)
        replyExchange = try source.read(Self.replyExchange)
        replyRoutingKey = try source.read(Self.replyRoutingKey)
        replyQueue = try source.read(Self.replyQueue)
        replyBody = try source.read(Self.replyBody)
        refusedReplyTo = try source.read(Self.refusedReplyTo)
        maxAttempts = try source.read(Self.maxAttempts)
        let deadLetterQueue = try source.read(Self.deadLetterQueue, default: "\(queue).dead")
        if deadLetterQueue == queue {
            throw SettingsError(key: Self.deadLetterQueue.key, source: "configuration", problem: "must not be the inbound queue")
        }
        self.deadLetterQueue = deadLetterQueue.isEmpty ? nil : deadLetterQueue
        maxMessageBytes = try source.read(Self.maxMessageBytes)
        queueType = QueueKind(rawValue: try source.read(Self.queueType))!
        reconnect = try Self.reconnect.read(source)
    }
}
