import Logging
import Resilience
import SettingKeys

extension RedisCounterStore {
    /// Where Redis is, how the counters are named and how long to wait: plain values, with
    /// the defaults every program documents.
    public struct Configuration: Sendable, Equatable {
        public var host: String
        public var port: Int
        public var username: String?
        /// The URL's password, or the password file's at start-up.
        public var password: String?
        /// Read again for each connection, when set.
        public var passwordFile: SecretFile?
        /// Nil for plain TCP (`redis://`).
        public var tls: TLSOptions?
        /// When set, the master is wherever these Sentinels say, not at `host`:`port`.
        public var sentinel: SentinelMaster.Configuration?
        public var database: Int
        public var timeoutMilliseconds: Int
        public var receivedKey: String
        public var sentKey: String
        /// The prefix of the per-message dedupe marks.
        public var dedupePrefix: String
        /// How long a dedupe mark lives, in seconds.
        public var dedupeSeconds: Int
        /// The set of live consumer instances; each instance's heartbeat is a hash at this
        /// key, a colon and the instance's name.
        public var presenceKey: String
        /// The wait before each reconnect while Redis stays away: quick after a blip,
        /// gentle on a Redis that stays down.
        public var reconnect: Backoff
        /// How many replicas must hold a counting write before it counts as done (`WAIT`);
        /// 0 trusts the master alone.
        public var minReplicas: Int
        /// How long a counting write waits for those replicas.
        public var replicaTimeoutMilliseconds: Int

        public init(
            host: String = "127.0.0.1",
            port: Int = 6379,
            username: String? = nil,
            password: String? = nil,
            passwordFile: SecretFile? = nil,
            tls: TLSOptions? = nil,
            sentinel: SentinelMaster.Configuration? = nil,
            database: Int = 0,
            timeoutMilliseconds: Int = 1000,
            receivedKey: String = "received_hello",
            sentKey: String = "sent_hello",
            dedupePrefix: String = "biggoal:dedupe:",
            dedupeSeconds: Int = 86_400,
            presenceKey: String = "biggoal:consumers",
            reconnect: Backoff = Backoff(initial: .milliseconds(50), maximum: .seconds(2)),
            minReplicas: Int = 0,
            replicaTimeoutMilliseconds: Int = 500
        ) {
            self.host = host
            self.port = port
            self.username = username
            self.password = password
            self.passwordFile = passwordFile
            self.tls = tls
            self.sentinel = sentinel
            self.database = database
            self.timeoutMilliseconds = timeoutMilliseconds
            self.receivedKey = receivedKey
            self.sentKey = sentKey
            self.dedupePrefix = dedupePrefix
            self.dedupeSeconds = dedupeSeconds
            self.presenceKey = presenceKey
            self.reconnect = reconnect
            self.minReplicas = minReplicas
            self.replicaTimeoutMilliseconds = replicaTimeoutMilliseconds
        }
    }
}

extension RedisCounterStore.Configuration {
    private static let defaults = RedisCounterStore.Configuration()

    /// The `redis.*` keys, with the defaults above.
    public enum Keys {
        public static let url = Setting.parsed(
            "redis.url", default: "redis://\(defaults.host):\(defaults.port)/\(defaults.database)", kind: "URL",
            help: "redis://[[user]:password@]host:port/db, or rediss:// for TLS"
        ) { try RedisURL(parsing: $0) }
        public static let passwordFile = Setting.string(
            "redis.passwordFile", default: "",
            help: "A file whose first line is the Redis password, instead of the URL's; read again for each connection."
        )
        public static let timeoutMs = Setting.integer("redis.timeoutMs", default: defaults.timeoutMilliseconds, in: 1...600_000,
                                                      help: "How long a command waits for Redis before the caller is told it is unavailable.")
        public static let receivedKey = Setting.name("redis.receivedKey", default: defaults.receivedKey,
                                                     help: "Key of the received counter (shared by api and consumer).")
        public static let sentKey = Setting.name("redis.sentKey", default: defaults.sentKey, help: "Key of the sent counter.")
        public static let dedupePrefix = Setting.name("redis.dedupePrefix", default: defaults.dedupePrefix,
                                                      help: "Prefix of the consumer's per-message dedupe marks.")
        public static let dedupeSeconds = Setting.integer("redis.dedupeSeconds", default: defaults.dedupeSeconds, in: 1...(365 * 86_400),
                                                          help: "How long a message id is remembered.")
        public static let presenceKey = Setting.name(
            "redis.presenceKey", default: defaults.presenceKey,
            help: "Where consumers leave their heartbeats (a set of names, and a hash per name under this key and a colon) for the status page."
        )
        public static let minReplicas = Setting.integer(
            "redis.minReplicas", default: defaults.minReplicas, in: 0...64,
            help: "Replicas that must hold each counting write (WAIT) before it counts as done: the consumer holds its acks, the api answers 503."
        )
        public static let replicaTimeoutMs = Setting.integer("redis.replicaTimeoutMs", default: defaults.replicaTimeoutMilliseconds, in: 1...60_000,
                                                             help: "How long a counting write waits for redis.minReplicas replicas.")
        public static let reconnect = BackoffSettings(prefix: "redis", what: "Redis", default: defaults.reconnect)
        public static let tls = TLSSettings(prefix: "redis", scheme: "rediss://", what: "Redis")
        public static let sentinels = Setting.list(
            "redis.sentinels",
            help: "Sentinels (host:port, comma-separated) that say where the master is; when set, redis.url gives only the credentials and database.",
            check: { entry in Self.hostAndPort(entry) == nil ? "expected host:port" : nil }
        )
        public static let sentinelMaster = Setting.name("redis.sentinelMaster", default: "mymaster",
                                                        help: "The master's name as the Sentinels know it.")
        public static let sentinelPasswordFile = Setting.string(
            "redis.sentinelPasswordFile", default: "", help: "A file whose first line is the Sentinels' own password (requirepass in sentinel.conf)."
        )

        static func hostAndPort(_ entry: String) -> (host: String, port: Int)? {
            guard let colon = entry.lastIndex(of: ":"), let port = Int(entry[entry.index(after: colon)...]), (1...65535).contains(port),
                  colon > entry.startIndex else { return nil }
            return (String(entry[..<colon]), port)
        }
    }

    /// Every `redis.*` key, in the order help and docs list them.
    public static let declarations = [
        Keys.url.declaration, Keys.passwordFile.declaration, Keys.timeoutMs.declaration, Keys.receivedKey.declaration, Keys.sentKey.declaration,
        Keys.dedupePrefix.declaration, Keys.dedupeSeconds.declaration, Keys.presenceKey.declaration, Keys.minReplicas.declaration, Keys.replicaTimeoutMs.declaration,
    ] + [Keys.sentinels.declaration, Keys.sentinelMaster.declaration, Keys.sentinelPasswordFile.declaration]
        + Keys.tls.declarations + Keys.reconnect.declarations

    /// The configuration from the `redis.*` keys.
    public init(_ values: some SettingValues) throws(SettingsError) {
        let path = try values.read(Keys.passwordFile)
        let passwordFile = path.isEmpty ? nil : SecretFile(key: Keys.passwordFile.key, path: path)
        let url = try values.parsed(Keys.url.key, default: Keys.url.defaultText) { text in
            try RedisURL(parsing: text, passwordFromFile: passwordFile != nil)
        }
        self.init(
            host: url.host, port: url.port, username: url.username, password: try passwordFile?.firstLine() ?? url.password,
            passwordFile: passwordFile, tls: try Keys.tls.read(values, enabled: url.usesTLS),
            sentinel: try Self.readSentinel(values), database: url.database,
            timeoutMilliseconds: try values.read(Keys.timeoutMs),
            receivedKey: try values.read(Keys.receivedKey),
            sentKey: try values.read(Keys.sentKey),
            dedupePrefix: try values.read(Keys.dedupePrefix),
            dedupeSeconds: try values.read(Keys.dedupeSeconds),
            presenceKey: try values.read(Keys.presenceKey),
            reconnect: try Keys.reconnect.read(values),
            minReplicas: try values.read(Keys.minReplicas),
            replicaTimeoutMilliseconds: try values.read(Keys.replicaTimeoutMs)
        )
    }

    private static func readSentinel(_ values: some SettingValues) throws(SettingsError) -> SentinelMaster.Configuration? {
        let sentinels = try values.read(Keys.sentinels).compactMap(Keys.hostAndPort)
        guard !sentinels.isEmpty else { return nil }
        let path = try values.read(Keys.sentinelPasswordFile)
        let password = path.isEmpty ? nil : try SecretFile(key: Keys.sentinelPasswordFile.key, path: path).firstLine()
        return SentinelMaster.Configuration(sentinels: sentinels, masterName: try values.read(Keys.sentinelMaster), password: password,
                                            timeoutMilliseconds: min(try values.read(Keys.timeoutMs), 1000))
    }

    /// The password for a new connection: the file's first line now, or, should the file
    /// have become unreadable, the one read at start-up.
    var currentPassword: String? {
        guard let passwordFile else { return password }
        return (try? passwordFile.firstLine()) ?? password
    }

    /// The effective `redis.*` settings for a start-up line: one value per key, the
    /// password masked.
    public var loggable: Logger.Metadata {
        var metadata: Logger.Metadata = [
            "redis.url": "\(maskedURL)",
            "redis.timeoutMs": "\(timeoutMilliseconds)",
            "redis.receivedKey": "\(receivedKey)",
            "redis.sentKey": "\(sentKey)",
            "redis.dedupePrefix": "\(dedupePrefix)",
            "redis.presenceKey": "\(presenceKey)",
            "redis.minReplicas": "\(minReplicas)",
        ]
        if let sentinel {
            metadata["redis.sentinels"] = .array(sentinel.sentinels.map { .string("\($0.host):\($0.port)") })
            metadata["redis.sentinelMaster"] = "\(sentinel.masterName)"
        }
        if let tls { metadata["redis.tls.verifyPeer"] = "\(tls.verifyPeer)" }
        return metadata
    }

    /// Where Redis is, as a URL with the password masked: safe for logs.
    public var maskedURL: String {
        var credentials = ""
        if username != nil || password != nil {
            credentials = (username ?? "") + (password != nil ? ":***" : "") + "@"
        }
        return "\(tls == nil ? "redis" : "rediss")://\(credentials)\(host):\(port)/\(database)"
    }
}
