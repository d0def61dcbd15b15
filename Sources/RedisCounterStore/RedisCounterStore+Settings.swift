import Settings

extension RedisCounterStore.Configuration {
    /// The store's configuration from the shared `redis.*` keys.
    public init(_ settings: RedisSettings) {
        self.init(
            host: settings.url.host, port: settings.url.port, username: settings.url.username,
            password: settings.url.password, database: settings.url.database,
            timeoutMilliseconds: settings.timeoutMs, receivedKey: settings.receivedKey, sentKey: settings.sentKey,
            dedupePrefix: settings.dedupePrefix, dedupeSeconds: settings.dedupeSeconds
        )
    }
}
