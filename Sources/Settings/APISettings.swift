import Logging
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

    /// The effective configuration for the start-up log line, one value per setting key,
    /// with the Redis password masked and the tokens only counted.
    public var loggable: Logger.Metadata {
        [
            "serviceName": "\(serviceName)",
            "http.host": "\(http.host)",
            "http.port": "\(http.port)",
            "http.eventLoops": "\(http.eventLoops)",
            "http.maxConnections": "\(http.maxConnections)",
            "http.auth.tokens": "\(tokens.count)",
            "http.auth.protect": "\(access.protect.rawValue)",
            "http.countOnGet": "\(access.countOnGet)",
            "log.level": "\(log.level.rawValue)",
        ].merging(redis.loggable) { $1 }
    }
}
