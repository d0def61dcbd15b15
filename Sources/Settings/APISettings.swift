import HTTPServer
import RedisCounterStore
import SettingKeys

/// Everything `api` reads from its configuration.
public struct APISettings: ServiceSettings, Equatable {
    public static let serviceName = Setting.name("serviceName", default: "biggoal-api", help: "The name in logs.")

    public static let declarations = [serviceName.declaration] + HTTPServerConfiguration.declarations + AccessSettings.declarations
        + RedisCounterStore.Configuration.declarations + LogSettings.declarations

    public var serviceName: String
    public var http: HTTPServerConfiguration
    public var access: AccessSettings
    /// The tokens valid at start-up, the token file's included.
    public var tokens: [String]
    public var redis: RedisCounterStore.Configuration
    public var log: LogSettings

    public init(_ source: SettingsSource) throws(SettingsError) {
        serviceName = try source.read(Self.serviceName)
        http = try HTTPServerConfiguration(source)
        access = try AccessSettings(source)
        tokens = try access.currentTokens()
        redis = try RedisCounterStore.Configuration(source)
        log = try LogSettings(source)
    }

    public var secretFiles: [SecretFile] { [access.tokenFile, redis.passwordFile].compactMap { $0 } }

    /// `/health`, with a token when `http.auth.protect` is `all`.
    public var readinessProbe: ReadinessProbe? {
        ReadinessProbe(listeningOn: http.host, port: http.port, path: "/health",
                       bearerToken: access.requiresToken && access.protect == .all ? tokens.first : nil)
    }

    /// The effective configuration as `key=value` pairs for the start-up log line, with the
    /// Redis password masked.
    public var loggable: [String: String] {
        [
            "serviceName": serviceName,
            "http": "\(http.host):\(http.port) loops=\(http.eventLoops) maxConnections=\(http.maxConnections)",
            "http.auth": access.requiresToken ? "\(tokens.count) token(s), protect=\(access.protect.rawValue)" : "off",
            "http.countOnGet": "\(access.countOnGet)",
            "redis.url": redis.maskedURL,
            "redis.sentinels": redis.sentinel.map { "\($0.sentinels.map { "\($0.host):\($0.port)" }.joined(separator: ",")) master=\($0.masterName)" } ?? "off",
            "redis.timeoutMs": "\(redis.timeoutMilliseconds)",
            "redis.keys": "\(redis.receivedKey),\(redis.sentKey)",
            "log.level": log.level.rawValue,
        ]
    }
}
