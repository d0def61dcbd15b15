/// The `amqp.*` keys: the broker and the names the consumer uses.
public struct AMQPSettings: Sendable, Equatable {
    public var url = try! AMQPURL(parsing: "amqp://guest:guest@127.0.0.1:5672/%2F")
    public var queue = "TestQueue"
    public var prefetch = 100
    public var heartbeatSeconds = 30
    public var declare = true
    public var replyExchange = "Meow"
    public var replyRoutingKey = "meow1"
    public var replyQueue = "TestSentQueue"
    public var replyBody = "И тебе привет!"

    public init() {}

    static let keys: Set<String> = [
        "amqp.url", "amqp.queue", "amqp.prefetch", "amqp.heartbeatSeconds", "amqp.declare",
        "amqp.reply.exchange", "amqp.reply.routingKey", "amqp.reply.queue", "amqp.reply.body",
    ]

    init(_ source: SettingsSource) throws(SettingsError) {
        let defaults = AMQPSettings()
        let nonEmpty: (String) -> String? = { $0.isEmpty ? "must not be empty" : nil }
        url = try source.parsed("amqp.url", default: "amqp://guest:guest@127.0.0.1:5672/%2F") { text in try AMQPURL(parsing: text) }
        queue = try source.string("amqp.queue", default: defaults.queue, validate: nonEmpty)
        prefetch = try source.int("amqp.prefetch", default: defaults.prefetch, in: 1...65535)
        heartbeatSeconds = try source.int("amqp.heartbeatSeconds", default: defaults.heartbeatSeconds, in: 0...3600)
        declare = try source.bool("amqp.declare", default: defaults.declare)
        replyExchange = try source.string("amqp.reply.exchange", default: defaults.replyExchange)
        replyRoutingKey = try source.string("amqp.reply.routingKey", default: defaults.replyRoutingKey)
        replyQueue = try source.string("amqp.reply.queue", default: defaults.replyQueue, validate: nonEmpty)
        replyBody = try source.string("amqp.reply.body", default: defaults.replyBody)
    }
}
