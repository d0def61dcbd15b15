import HTTPServer
import LinuxIO
import Logging
import MetricKeys
import MetricsSetup
import RedisCounterStore
import SettingKeys
import Settings
import Synchronization

/// The `api` service wired from its settings: the HTTP server, with a Redis-backed counter
/// store and the API routes on every event loop.
public final class APIApplication: Sendable {
    private let server: HTTPServer
    private let logger: Logger
    private let access: AccessSettings
    private let passwordFile: SecretFile?
    private let tokens: ValidTokens

    /// What the api records, for the metrics bootstrap.
    public static let metricKeys = APIMetrics.keys + RedisCounterStore.metricKeys

    /// - Parameter metrics: what swift-metrics was bootstrapped with (declaring
    ///   `metricKeys`); `/metrics` renders it.
    public init(settings: APISettings, logger: Logger, metrics: MetricsExposition) {
        self.logger = logger
        access = settings.access
        passwordFile = settings.redis.passwordFile
        tokens = ValidTokens(settings.tokens)
        let rules = AccessRules(settings: settings.access, tokens: tokens)
        let storeConfiguration = settings.redis
        let storeLogger = logger
        // One watcher of the Sentinels for the whole process; every loop's store asks it.
        let sentinels = settings.redis.sentinel.map { SentinelMaster(configuration: $0, logger: logger) }
        let serverBox = Mutex<HTTPServer?>(nil)
        let openConnections: @Sendable () -> Int = { serverBox.withLock { $0?.connectionCount ?? 0 } }
        server = HTTPServer(configuration: settings.http, logger: logger) { loop in
            var loopLogger = storeLogger
            loopLogger[metadataKey: "http.eventLoop"] = "\(loop.name)"
            let store = RedisCounterStore(loop: loop, configuration: storeConfiguration, logger: loopLogger, sentinels: sentinels)
            return APIResponder(store: store, metrics: APIMetrics(exposition: metrics, openConnections: openConnections), access: rules)
        }
        serverBox.withLock { $0 = server }
    }

    /// Starts serving; throws when the port cannot be bound.
    public func start() throws {
        ProcessLimits.ignoreBrokenPipes()
        ProcessLimits.raiseOpenFilesLimit()
        try server.start()
    }

    /// The bound port.
    public var port: Int? { server.port }

    /// Re-reads what may change without a restart: the token file. A file that cannot be
    /// read, or holds no valid token, leaves the tokens as they were. (The Redis password
    /// file needs no signal: it is read for each new connection.)
    public func reload() {
        if let passwordFile {
            logger.info("the Redis password file is read for each new connection", metadata: ["setting": "\(passwordFile.key)"])
        }
        guard let tokenFile = access.tokenFile else {
            return logger.info("no token file to re-read")
        }
        do {
            let current = try access.currentTokens()
            tokens.replace(with: current)
            logger.info("re-read the token file", metadata: ["setting": "\(tokenFile.key)", "http.auth.tokens": "\(current.count)"])
            if let warning = tokenFile.exposureWarning { logger.warning("\(warning)") }
        } catch {
            logger.error("kept the previous tokens", metadata: ["error": "\(error)"])
        }
    }

    /// Stops accepting, finishes in-flight requests (within the configured grace period) and
    /// returns when every loop has ended.
    public func shutdown() {
        server.shutdown()
    }
}
