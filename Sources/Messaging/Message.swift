/// A message as the application sees it, whatever broker carried it.
public struct Message: Sendable, Equatable {
    public var body: [UInt8]
    public var contentType: String?
    public var messageID: MessageID?
    public var correlationID: MessageID?
    public var replyTo: String?
    public var type: String?
    public var appID: String?
    /// Seconds since the Unix epoch.
    public var timestamp: UInt64?
    public var persistent: Bool
    /// The top-level headers; values of kinds the application does not read are `.other`.
    public var headers: [(name: String, value: HeaderValue)]

    public init(
        body: [UInt8] = [], contentType: String? = nil, messageID: MessageID? = nil, correlationID: MessageID? = nil,
        replyTo: String? = nil, type: String? = nil, appID: String? = nil, timestamp: UInt64? = nil,
        persistent: Bool = false, headers: [(name: String, value: HeaderValue)] = []
    ) {
        self.body = body
        self.contentType = contentType
        self.messageID = messageID
        self.correlationID = correlationID
        self.replyTo = replyTo
        self.type = type
        self.appID = appID
        self.timestamp = timestamp
        self.persistent = persistent
        self.headers = headers
    }

    /// The first header named `name`.
    public func header(_ name: String) -> HeaderValue? {
        headers.first { $0.name == name }?.value
    }

    public static func == (lhs: Message, rhs: Message) -> Bool {
        lhs.body == rhs.body && lhs.contentType == rhs.contentType && lhs.messageID == rhs.messageID
            && lhs.correlationID == rhs.correlationID && lhs.replyTo == rhs.replyTo && lhs.type == rhs.type
            && lhs.appID == rhs.appID && lhs.timestamp == rhs.timestamp && lhs.persistent == rhs.persistent
            && lhs.headers.count == rhs.headers.count
            && zip(lhs.headers, rhs.headers).allSatisfy { $0.name == $1.name && $0.value == $1.value }
    }
}

/// A header value, reduced to what the application distinguishes.
public enum HeaderValue: Sendable, Equatable {
    /// A UTF-8 string (AMQP `S`).
    case string(String)
    /// Raw bytes (AMQP `x`).
    case bytes([UInt8])
    /// A signed integer of any width.
    case integer(Int64)
    /// Seconds since the Unix epoch.
    case timestamp(UInt64)
    /// Anything else: floats, booleans, tables, arrays.
    case other
}

/// A message handed to the consumer, with what it needs to acknowledge it.
public struct Delivery: Sendable, Equatable {
    /// The broker's tag for this delivery on its channel; meaningless on another connection.
    public var tag: UInt64
    public var redelivered: Bool
    /// The message; its body only when the source was asked to keep bodies of that size.
    public var message: Message
    /// The body's length as the broker announced it, kept or not.
    public var bodySize: UInt64

    public init(tag: UInt64, redelivered: Bool, message: Message, bodySize: UInt64? = nil) {
        self.tag = tag
        self.redelivered = redelivered
        self.message = message
        self.bodySize = bodySize ?? UInt64(message.body.count)
    }
}

/// Where a message is published.
public struct Destination: Sendable, Equatable {
    public var exchange: String
    public var routingKey: String

    public init(exchange: String, routingKey: String) {
        self.exchange = exchange
        self.routingKey = routingKey
    }

    /// The default exchange, which routes to the queue named by the routing key.
    public static func queue(_ name: String) -> Destination {
        Destination(exchange: "", routingKey: name)
    }
}
