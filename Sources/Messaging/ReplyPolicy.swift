import Crypto
import FoundationEssentials

/// How a hello is answered: the reply's content, its id and where it goes.
public struct ReplyPolicy: Sendable, Equatable {
    /// `app_id` of every reply.
    public var serviceName: String
    public var body: String
    /// Where replies go when the hello names no usable `reply_to`.
    public var destination: Destination
    /// Queue names a hello may not name as its `reply_to`: the inbound queue (a reply sent
    /// there would come back as a hello and be counted again) and any the operator lists.
    public var refusedReplyTo: Set<String>

    public init(serviceName: String, body: String, destination: Destination, refusedReplyTo: Set<String> = []) {
        self.serviceName = serviceName
        self.body = body
        self.destination = destination
        self.refusedReplyTo = refusedReplyTo
    }

    /// A reply ready to publish.
    public struct Reply: Sendable, Equatable {
        public var message: Message
        public var destination: Destination
        /// Whether it goes to a requester's own queue (`reply_to`): if that queue is gone,
        /// the reply is dropped rather than retried.
        public var isToRequester: Bool
        /// The `reply_to` the hello named but may not use (see `refusedReplyTo`); the reply
        /// went to `destination` instead.
        public var refusedReplyTo: String?
    }

    /// The reply to `hello`: text body, `type: hello` as header and property, persistent,
    /// `app_id`, a timestamp, `correlation_id` taken from the hello's correlation or message
    /// id, and the `message_id` that `replyID(for:)` derives. It goes to `reply_to` through
    /// the default exchange when the hello names one (RabbitMQ's request/reply convention)
    /// that is not refused, else to `destination`.
    public func reply(to hello: Message, now: UInt64) -> Reply {
        let message = Message(
            body: Array(body.utf8),
            contentType: "text/plain; charset=utf-8",
            messageID: Self.replyID(for: hello),
            correlationID: hello.correlationID.flatMap { $0.isEmpty ? nil : $0 } ?? Hello.countingID(of: hello),
            type: "hello",
            appID: serviceName,
            timestamp: now,
            persistent: true,
            headers: [("type", .string("hello"))]
        )
        guard let replyTo = hello.replyTo, !replyTo.isEmpty else {
            return Reply(message: message, destination: destination, isToRequester: false)
        }
        if refusedReplyTo.contains(replyTo) {
            return Reply(message: message, destination: destination, isToRequester: false, refusedReplyTo: replyTo)
        }
        return Reply(message: message, destination: .queue(replyTo), isToRequester: true)
    }

    /// The longest `message_id` AMQP can carry (a short string).
    public static let maxIDBytes = 255

    /// The reply's `message_id`: derived from the hello's, so that a reply published again
    /// after a crash is recognisably the same reply downstream.
    ///
    /// `reply-` and the hello's id while that fits in an AMQP short string and is valid
    /// UTF-8; otherwise `reply-sha256:` and the hex SHA-256 of the id's raw bytes, which
    /// always fits and is as stable. A hello without an id (or with an empty one) gets a
    /// random id: there is nothing to derive from.
    public static func replyID(for hello: Message) -> MessageID {
        guard let id = Hello.countingID(of: hello) else {
            return MessageID(UUID().uuidString.lowercased())
        }
        let prefix = Array("reply-".utf8)
        if id.text != nil, prefix.count + id.bytes.count <= maxIDBytes {
            return MessageID(bytes: prefix + id.bytes)
        }
        return MessageID("reply-sha256:" + MessageID.hex(SHA256.hash(data: id.bytes)))
    }
}
