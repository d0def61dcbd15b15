/// The `redis.*` keys: where the counters live.
public struct RedisSettings: Sendable, Equatable {
    public var url = try! RedisURL(parsing: "redis://127.0.0.1:6379/0")
    /// How long a command may wait for its reply before the caller is told Redis is
    /// unavailable.
    public var timeoutMs = 1000
    public var receivedKey = "received_hello"
    public var sentKey = "sent_hello"
    /// The prefix of the consumer's per-message dedupe marks.
    public var dedupePrefix = "biggoal:dedupe:"
    /// How long a message id is remembered, in seconds.
    public var dedupeSeconds = 86_400

    public init() {}

    static let keys: Set<String> = [
        "redis.url", "redis.timeoutMs", "redis.receivedKey", "redis.sentKey", "redis.dedupePrefix", "redis.dedupeSeconds",
    ]

    init(_ source: SettingsSource) throws(SettingsError) {
        let defaults = RedisSettings()
        url = try source.parsed("redis.url", default: "redis://127.0.0.1:6379/0") { text in try RedisURL(parsing: text) }
        timeoutMs = try source.int("redis.timeoutMs", default: defaults.timeoutMs, in: 1...600_000)
        let keyRule: (String) -> String? = { $0.isEmpty ? "must not be empty" : nil }
        receivedKey = try source.string("redis.receivedKey", default: defaults.receivedKey, validate: keyRule)
        sentKey = try source.string("redis.sentKey", default: defaults.sentKey, validate: keyRule)
        dedupePrefix = try source.string("redis.dedupePrefix", default: defaults.dedupePrefix, validate: keyRule)
        dedupeSeconds = try source.int("redis.dedupeSeconds", default: defaults.dedupeSeconds, in: 1...(365 * 86_400))
    }
}
