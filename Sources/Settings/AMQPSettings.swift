import Foundation

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
    /// Queue names a hello may not name as `reply_to`, besides `queue` itself (a reply sent
    /// there would come back as a hello).
    public var refusedReplyTo: [String] = []
    /// How many failed attempts at answering one hello before it is dead-lettered.
    public var maxAttempts = 5
    /// Where hellos that cannot be answered go, with headers saying why; empty: dropped
    /// (acknowledged) instead. Defaults to the inbound queue's name with `.dead`.
    public var deadLetterQueue = "TestQueue.dead"
    /// Hellos with longer bodies are dead-lettered unread.
    public var maxMessageBytes = 1 << 20

    public init() {}

    static let keys: Set<String> = [
        "amqp.url", "amqp.queue", "amqp.prefetch", "amqp.heartbeatSeconds", "amqp.declare",
        "amqp.reply.exchange", "amqp.reply.routingKey", "amqp.reply.queue", "amqp.reply.body",
        "amqp.reply.refusedReplyTo", "amqp.maxAttempts", "amqp.deadLetterQueue", "amqp.maxMessageBytes",
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
        refusedReplyTo = try source.string("amqp.reply.refusedReplyTo", default: "")
            .split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        maxAttempts = try source.int("amqp.maxAttempts", default: defaults.maxAttempts, in: 1...1000)
        deadLetterQueue = try source.string("amqp.deadLetterQueue", default: "\(queue).dead") { name in
            name == queue ? "must not be the inbound queue" : (name.utf8.count > 255 ? "is longer than 255 bytes" : nil)
        }
        maxMessageBytes = try source.int("amqp.maxMessageBytes", default: defaults.maxMessageBytes, in: 0...(512 << 20))
    }
}
