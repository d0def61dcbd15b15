/// Everything `consumer` reads from its configuration.
public struct ConsumerSettings: Sendable, Equatable {
    /// The connection name in the broker's management UI, and `app_id` of the replies.
    public var serviceName = "biggoal-consumer"
    public var amqp = AMQPSettings()
    public var redis = RedisSettings()
    public var log = LogSettings()
    /// The address of the `/metrics` and `/health` endpoints.
    public var metricsHost = "127.0.0.1"
    /// Their port; 0 turns them off.
    public var metricsPort = 9091

    public init() {}

    /// Every key `consumer` accepts.
    public static let keys = Set(["serviceName", "consumer.metricsHost", "consumer.metricsPort"])
        .union(AMQPSettings.keys).union(RedisSettings.keys).union(LogSettings.keys)

    public init(_ source: SettingsSource) throws(SettingsError) {
        serviceName = try source.string("serviceName", default: serviceName) { $0.isEmpty ? "must not be empty" : nil }
        amqp = try AMQPSettings(source)
        redis = try RedisSettings(source)
        log = try LogSettings(source)
        metricsHost = try source.string("consumer.metricsHost", default: metricsHost) { $0.isEmpty ? "must not be empty" : nil }
        metricsPort = try source.int("consumer.metricsPort", default: metricsPort, in: 0...65535)
    }

    /// The effective configuration for the start-up log line, passwords masked.
    public var loggable: [String: String] {
        [
            "serviceName": serviceName,
            "amqp.url": amqp.url.description,
            "amqp.queue": amqp.queue,
            "amqp.prefetch": "\(amqp.prefetch)",
            "amqp.reply": "\(amqp.replyExchange)/\(amqp.replyRoutingKey) -> \(amqp.replyQueue)",
            "amqp.deadLetterQueue": amqp.deadLetterQueue.isEmpty ? "off (dropped)" : amqp.deadLetterQueue,
            "amqp.maxAttempts": "\(amqp.maxAttempts)",
            "amqp.maxMessageBytes": "\(amqp.maxMessageBytes)",
            "redis.url": redis.url.description,
            "redis.keys": "\(redis.receivedKey),\(redis.sentKey)",
            "log.level": log.level.rawValue,
            "consumer.metrics": metricsPort == 0 ? "off" : "\(metricsHost):\(metricsPort)",
        ]
    }
}
