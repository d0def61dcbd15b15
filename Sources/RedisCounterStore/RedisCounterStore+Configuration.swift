import Resilience

extension RedisCounterStore {
    /// Where Redis is, how the counters are named and how long to wait: plain values, with
    /// the defaults every program documents.
    public struct Configuration: Sendable, Equatable {
        public var host: String
        public var port: Int
        public var username: String?
        public var password: String?
        public var database: Int
        public var timeoutMilliseconds: Int
        public var receivedKey: String
        public var sentKey: String
        /// The prefix of the per-message dedupe marks.
        public var dedupePrefix: String
        /// How long a dedupe mark lives, in seconds.
        public var dedupeSeconds: Int
        /// The wait before each reconnect while Redis stays away: quick after a blip,
        /// gentle on a Redis that stays down.
        public var reconnect: Backoff

        public init(
            host: String = "127.0.0.1",
            port: Int = 6379,
            username: String? = nil,
            password: String? = nil,
            database: Int = 0,
            timeoutMilliseconds: Int = 1000,
            receivedKey: String = "received_hello",
            sentKey: String = "sent_hello",
            dedupePrefix: String = "biggoal:dedupe:",
            dedupeSeconds: Int = 86_400,
            reconnect: Backoff = Backoff(initial: .milliseconds(50), maximum: .seconds(2))
        ) {
            self.host = host
            self.port = port
            self.username = username
            self.password = password
            self.database = database
            self.timeoutMilliseconds = timeoutMilliseconds
            self.receivedKey = receivedKey
            self.sentKey = sentKey
            self.dedupePrefix = dedupePrefix
            self.dedupeSeconds = dedupeSeconds
            self.reconnect = reconnect
        }
    }
}
