/// The basic properties of a message (AMQP 0-9-1 `basic` class), copied out of C.
public struct AMQPProperties: Sendable, Equatable {
    public var contentType: String?
    public var contentEncoding: String?
    public var headers: AMQPTable?
    /// 2 means persistent.
    public var deliveryMode: UInt8?
    public var priority: UInt8?
    /// `correlation_id` as sent: a short string need not be UTF-8.
    public var correlationIDBytes: [UInt8]?
    public var replyTo: String?
    public var expiration: String?
    /// `message_id` as sent: a short string need not be UTF-8.
    public var messageIDBytes: [UInt8]?
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
        self.correlationIDBytes = correlationID.map { Array($0.utf8) }
        self.replyTo = replyTo
        self.expiration = expiration
        self.messageIDBytes = messageID.map { Array($0.utf8) }
        self.timestamp = timestamp
        self.type = type
        self.userID = userID
        self.appID = appID
    }
}

extension AMQPProperties {
    /// `message_id` as text (invalid UTF-8 replaced); `messageIDBytes` has it exactly.
    public var messageID: String? {
        get { messageIDBytes.map { String(decoding: $0, as: UTF8.self) } }
        set { messageIDBytes = newValue.map { Array($0.utf8) } }
    }

    /// `correlation_id` as text (invalid UTF-8 replaced); `correlationIDBytes` has it exactly.
    public var correlationID: String? {
        get { correlationIDBytes.map { String(decoding: $0, as: UTF8.self) } }
        set { correlationIDBytes = newValue.map { Array($0.utf8) } }
    }

    /// The longest short string (`shortstr`) AMQP 0-9-1 can carry, in bytes.
    public static let maxShortStringBytes = 255

    /// The first property that cannot be encoded: a short string past 255 bytes. librabbitmq
    /// would fail such a publish halfway, after the method frame has left, and leave the
    /// connection out of step with the broker; checked before anything is sent.
    public var unencodableProperty: String? {
        let shortStrings: [(String, Int?)] = [
            ("content_type", contentType?.utf8.count), ("content_encoding", contentEncoding?.utf8.count),
            ("correlation_id", correlationIDBytes?.count), ("reply_to", replyTo?.utf8.count),
            ("expiration", expiration?.utf8.count), ("message_id", messageIDBytes?.count), ("type", type?.utf8.count),
            ("user_id", userID?.utf8.count), ("app_id", appID?.utf8.count),
        ]
        if let (name, _) = shortStrings.first(where: { ($0.1 ?? 0) > Self.maxShortStringBytes }) { return name }
        if let key = headers?.entries.first(where: { $0.key.utf8.count > Self.maxShortStringBytes })?.key {
            return "header \(key.prefix(32))…"
        }
        return nil
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
    /// The body, unless it was longer than the reader chose to keep (then empty).
    public var body: [UInt8]
    /// The body's length as the broker announced it.
    public var bodySize: UInt64

    public init(channel: UInt16, deliveryTag: UInt64, redelivered: Bool, exchange: String, routingKey: String,
                properties: AMQPProperties, body: [UInt8], bodySize: UInt64? = nil) {
        self.channel = channel
        self.deliveryTag = deliveryTag
        self.redelivered = redelivered
        self.exchange = exchange
        self.routingKey = routingKey
        self.properties = properties
        self.body = body
        self.bodySize = bodySize ?? UInt64(body.count)
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
