/// How a hello is answered: the reply's content and where it goes.
public struct ReplyPolicy: Sendable, Equatable {
    /// `app_id` of every reply.
    public var serviceName: String
    public var body: String
    /// Where replies go when the hello names no `reply_to`.
    public var destination: Destination

    public init(serviceName: String, body: String, destination: Destination) {
        self.serviceName = serviceName
        self.body = body
        self.destination = destination
    }

    /// A reply ready to publish.
    public struct Reply: Sendable, Equatable {
        public var message: Message
        public var destination: Destination
        /// Whether it goes to a requester's own queue (`reply_to`): if that queue is gone,
        /// the reply is dropped rather than retried.
        public var isToRequester: Bool
    }

    /// The reply to `hello`: text body, `type: hello` as header and property, persistent,
    /// `app_id`, a timestamp, `correlation_id` taken from the hello's correlation or message
    /// id, and its own `message_id`. It goes to `reply_to` through the default exchange when
    /// the hello names one (RabbitMQ's request/reply convention), else to `destination`.
    public func reply(to hello: Message, messageID: String, now: UInt64) -> Reply {
        let message = Message(
            body: Array(body.utf8),
            contentType: "text/plain; charset=utf-8",
            messageID: messageID,
            correlationID: hello.correlationID ?? hello.messageID,
            type: "hello",
            appID: serviceName,
            timestamp: now,
            persistent: true,
            headers: [("type", .string("hello"))]
        )
        if let replyTo = hello.replyTo, !replyTo.isEmpty {
            return Reply(message: message, destination: .queue(replyTo), isToRequester: true)
        }
        return Reply(message: message, destination: destination, isToRequester: false)
    }
}
