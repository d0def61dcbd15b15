/// Everything `api` reads from its configuration.
public struct APISettings: Sendable, Equatable {
    /// The name the service reports (logs, and connection names once it talks to a broker).
    public var serviceName = "biggoal-api"
    public var http = HTTPSettings()
    public var redis = RedisSettings()
    public var log = LogSettings()

    public init() {}

    /// Every key `api` accepts.
    public static let keys = Set(["serviceName"])
        .union(HTTPSettings.keys).union(RedisSettings.keys).union(LogSettings.keys)

    /// Reads and validates every key; the first bad one is thrown.
    public init(_ source: SettingsSource) throws(SettingsError) {
        serviceName = try source.string("serviceName", default: serviceName) { $0.isEmpty ? "must not be empty" : nil }
        http = try HTTPSettings(source)
        redis = try RedisSettings(source)
        log = try LogSettings(source)
    }

    /// The effective configuration as `key=value` pairs for the start-up log line, with the
    /// Redis password masked.
    public var loggable: [String: String] {
        [
            "serviceName": serviceName,
            "http": "\(http.host):\(http.port) loops=\(http.eventLoops) maxConnections=\(http.maxConnections)",
            "redis.url": redis.url.description,
            "redis.timeoutMs": "\(redis.timeoutMs)",
            "redis.keys": "\(redis.receivedKey),\(redis.sentKey)",
            "log.level": log.level.rawValue,
        ]
    }
}
