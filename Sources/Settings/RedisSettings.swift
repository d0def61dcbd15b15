import RedisCounterStore
import Resilience

/// The `redis.*` keys: where the counters live. Their defaults are
/// `RedisCounterStore.Configuration`'s.
public enum RedisSettings {
    private static let store = RedisCounterStore.Configuration()

    public static let url = Setting.parsed("redis.url", default: "redis://\(store.host):\(store.port)/\(store.database)", kind: "URL",
                                           help: "redis://[user:password@]host:port/db") { try RedisURL(parsing: $0) }
    public static let timeoutMs = Setting.integer("redis.timeoutMs", default: store.timeoutMilliseconds, in: 1...600_000,
                                                  help: "How long a command waits for Redis before the caller is told it is unavailable.")
    public static let receivedKey = Setting.name("redis.receivedKey", default: store.receivedKey,
                                                 help: "Key of the received counter (shared by api and consumer).")
    public static let sentKey = Setting.name("redis.sentKey", default: store.sentKey, help: "Key of the sent counter.")
    public static let dedupePrefix = Setting.name("redis.dedupePrefix", default: store.dedupePrefix,
                                                  help: "Prefix of the consumer's per-message dedupe marks.")
    public static let dedupeSeconds = Setting.integer("redis.dedupeSeconds", default: store.dedupeSeconds, in: 1...(365 * 86_400),
                                                      help: "How long a message id is remembered.")
    public static let reconnect = BackoffSettings(prefix: "redis", what: "Redis", default: store.reconnect)

    static let declarations = [
        url.declaration, timeoutMs.declaration, receivedKey.declaration, sentKey.declaration, dedupePrefix.declaration,
        dedupeSeconds.declaration,
    ] + reconnect.declarations
}

extension RedisCounterStore.Configuration {
    /// The store's configuration from the `redis.*` keys.
    init(_ source: SettingsSource) throws(SettingsError) {
        let url = try source.read(RedisSettings.url)
        self.init(
            host: url.host, port: url.port, username: url.username, password: url.password, database: url.database,
            timeoutMilliseconds: try source.read(RedisSettings.timeoutMs),
            receivedKey: try source.read(RedisSettings.receivedKey),
            sentKey: try source.read(RedisSettings.sentKey),
            dedupePrefix: try source.read(RedisSettings.dedupePrefix),
            dedupeSeconds: try source.read(RedisSettings.dedupeSeconds),
            reconnect: try RedisSettings.reconnect.read(source)
        )
    }

    /// Where Redis is, as a URL with the password masked: safe for logs.
    public var maskedURL: String {
        var credentials = ""
        if username != nil || password != nil {
            credentials = (username ?? "") + (password != nil ? ":***" : "") + "@"
        }
        return "redis://\(credentials)\(host):\(port)/\(database)"
    }
}
