import RedisCounterStore
import SettingKeys

/// Everything `consumer` reads from its configuration.
public struct ConsumerSettings: ServiceSettings, Equatable {
    public static let serviceName = Setting.name(
        "serviceName", default: "biggoal-consumer", help: "The connection name in the broker's management UI, and app_id of the replies."
    )
    public static let metricsHost = Setting.name("consumer.metricsHost", default: "127.0.0.1",
                                                 help: "Address of the consumer's /metrics and /health.")
    public static let metricsPort = Setting.integer("consumer.metricsPort", default: 9091, in: 0...65535,
                                                    help: "Port of the consumer's /metrics and /health; 0 turns them off.")

    public static let declarations = [serviceName.declaration] + AMQPSettings.declarations + RedisCounterStore.Configuration.declarations
        + LogSettings.declarations + [metricsHost.declaration, metricsPort.declaration]

    public var serviceName: String
    public var amqp: AMQPSettings
    public var redis: RedisCounterStore.Configuration
    public var log: LogSettings
    public var metricsHost: String
    /// 0: no status server.
    public var metricsPort: Int

    public init(_ source: SettingsSource) throws(SettingsError) {
        serviceName = try source.read(Self.serviceName)
        amqp = try AMQPSettings(source)
        redis = try RedisCounterStore.Configuration(source)
        log = try LogSettings(source)
        metricsHost = try source.read(Self.metricsHost)
        metricsPort = try source.read(Self.metricsPort)
    }

    public var secretFiles: [SecretFile] { [amqp.broker.passwordFile, redis.passwordFile].compactMap { $0 } }

    /// `/health` on the status port; none when `consumer.metricsPort` is 0.
    public var readinessProbe: ReadinessProbe? {
        metricsPort == 0 ? nil : ReadinessProbe(listeningOn: metricsHost, port: metricsPort, path: "/health")
    }

    /// The effective configuration for the start-up log line, passwords masked.
    public var loggable: [String: String] {
        [
            "serviceName": serviceName,
            "amqp.url": amqp.broker.urls.map(\.description).joined(separator: ","),
            "amqp.tls": amqp.broker.tls.map { "on, verifyPeer=\($0.verifyPeer) verifyHostname=\($0.verifyHostname)" } ?? "off",
            "amqp.queue": amqp.queue,
            "amqp.prefetch": "\(amqp.prefetch)",
            "amqp.reply": "\(amqp.replyExchange)/\(amqp.replyRoutingKey) -> \(amqp.replyQueue)",
            "amqp.deadLetterQueue": amqp.deadLetterQueue ?? "off (dropped)",
            "amqp.maxAttempts": "\(amqp.maxAttempts)",
            "amqp.maxMessageBytes": "\(amqp.maxMessageBytes)",
            "redis.url": redis.maskedURL,
            "redis.sentinels": redis.sentinel.map { "\($0.sentinels.map { "\($0.host):\($0.port)" }.joined(separator: ",")) master=\($0.masterName)" } ?? "off",
            "redis.keys": "\(redis.receivedKey),\(redis.sentKey)",
            "log.level": log.level.rawValue,
            "consumer.metrics": metricsPort == 0 ? "off" : "\(metricsHost):\(metricsPort)",
        ]
    }
}
