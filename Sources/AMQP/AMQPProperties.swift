/// The basic properties of a message (AMQP 0-9-1 `basic` class), copied out of C.
public struct AMQPProperties: Sendable, Equatable {
    public var contentType: String?
    public var contentEncoding: String?
    public var headers: AMQPTable?
    /// 2 means persistent.
    public var deliveryMode: UInt8?
    public var priority: UInt8?
    public var correlationID: String?
    public var replyTo: String?
    public var expiration: String?
    public var messageID: String?
    /// Seconds since the Unix epoch.
    public var timestamp: UInt64?
    public var type: String?
    public var userID: String?
    public var appID: String?

    public init(
        contentType: String? = nil, contentEncoding: String? = nil, headers: AMQPTable? = nil,
        deliveryMode: UInt8? = nil, priority: UInt8? = nil, correlationID: String? = nil,
        replyTo: String? = nil, expiration: String? = nil, messageID: String? = nil,
        timestamp: UInt64? = nil, type: String? = nil, userID: String? = nil, appID: String? = nil
    ) {
        self.contentType = contentType
        self.contentEncoding = contentEncoding
        self.headers = headers
        self.deliveryMode = deliveryMode
        self.priority = priority
        self.correlationID = correlationID
        self.replyTo = replyTo
        self.expiration = expiration
        self.messageID = messageID
        self.timestamp = timestamp
        self.type = type
        self.userID = userID
        self.appID = appID
    }
}

/// One message delivered to a consumer.
public struct AMQPDelivery: Sendable, Equatable {
    public var channel: UInt16
    public var deliveryTag: UInt64
    public var redelivered: Bool
    public var exchange: String
    public var routingKey: String
    public var properties: AMQPProperties
    public var body: [UInt8]

    public init(channel: UInt16, deliveryTag: UInt64, redelivered: Bool, exchange: String, routingKey: String,
                properties: AMQPProperties, body: [UInt8]) {
        self.channel = channel
        self.deliveryTag = deliveryTag
        self.redelivered = redelivered
        self.exchange = exchange
        self.routingKey = routingKey
        self.properties = properties
        self.body = body
    }
}

/// Something the broker said on a connection besides a delivery.
public enum AMQPEvent: Sendable, Equatable {
    case delivery(AMQPDelivery)
    /// Publisher confirm: the broker took responsibility for message `tag` (and all before
    /// it when `multiple`).
    case ack(channel: UInt16, tag: UInt64, multiple: Bool)
    /// Publisher confirm: the broker could not take the message(s).
    case nack(channel: UInt16, tag: UInt64, multiple: Bool)
    /// A mandatory message that no queue took; its confirm follows.
    case returned(channel: UInt16, replyCode: Int, replyText: String, exchange: String, routingKey: String, properties: AMQPProperties)
    /// The broker cancelled the consumer (its queue was deleted, say).
    case consumerCancelled(channel: UInt16, consumerTag: String)
    /// The broker stopped reading from this connection (memory or disk alarm).
    case blocked(reason: String)
    case unblocked
}
