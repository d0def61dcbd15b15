import Logging
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

    /// The effective configuration for the start-up log line, one value per setting key,
    /// passwords masked.
    public var loggable: Logger.Metadata {
        var metadata: Logger.Metadata = [
            "serviceName": "\(serviceName)",
            "amqp.urls": .array(amqp.broker.urls.map { .string($0.description) }),
            "amqp.queue": "\(amqp.queue)",
            "amqp.queueType": "\(amqp.queueType.rawValue)",
            "amqp.prefetch": "\(amqp.prefetch)",
            "amqp.channels": "\(amqp.channels)",
            "amqp.reply.exchange": "\(amqp.replyExchange)",
            "amqp.reply.routingKey": "\(amqp.replyRoutingKey)",
            "amqp.reply.queue": "\(amqp.replyQueue)",
            "amqp.deadLetterQueue": "\(amqp.deadLetterQueue ?? "")",
            "amqp.maxAttempts": "\(amqp.maxAttempts)",
            "amqp.maxMessageBytes": "\(amqp.maxMessageBytes)",
            "log.level": "\(log.level.rawValue)",
            "consumer.metricsHost": "\(metricsHost)",
            "consumer.metricsPort": "\(metricsPort)",
        ]
        if let tls = amqp.broker.tls {
            metadata["amqp.tls.verifyPeer"] = "\(tls.verifyPeer)"
            metadata["amqp.tls.verifyHostname"] = "\(tls.verifyHostname)"
        }
        return metadata.merging(redis.loggable) { $1 }
    }
}
