import Logging
import FoundationEssentials
import SettingKeys

/// The settings of one program: every key it reads, declared once, and how it reads them.
public protocol ProgramSettings: Sendable {
    /// Every key the program reads, in the order help and docs list them.
    static var declarations: [SettingDeclaration] { get }

    /// Reads and checks every key; the first bad one is thrown.
    init(_ source: SettingsSource) throws(SettingsError)
}

extension ProgramSettings {
    /// Every key the program reads.
    public static var keys: Set<String> { Set(declarations.map(\.key)) }

    /// The settings from the program's flags, the environment and its configuration file
    /// (`configPath`, else `BIGGOAL_CONFIG`). Throws the first bad value, naming its key and
    /// where it came from.
    public static func load(flags: [String], configPath: String?,
                            environment: [String: String] = ProcessInfo.processInfo.environment) async throws(SettingsError) -> Self {
        let source = try await SettingsSource.load(knownKeys: keys, flags: flags, environment: environment,
                                                   filePath: configPath ?? environment["BIGGOAL_CONFIG"])
        return try Self(source)
    }

    /// Every default, as a program with no file, variable or flag would have it.
    public static var defaults: Self {
        do {
            return try Self(SettingsSource.defaults(knownKeys: keys))
        } catch {
            preconditionFailure("a declared default does not pass its own check: \(error)")
        }
    }
}

/// The settings of a long-running service: it has a name, logs, and reports its effective
/// configuration at start-up.
public protocol ServiceSettings: ProgramSettings {
    var serviceName: String { get }
    var log: LogSettings { get }
    /// The effective configuration for the start-up line, one value per setting key,
    /// passwords masked.
    var loggable: Logger.Metadata { get }
    /// The files that hold secrets (tokens, passwords), to warn about when others may read them.
    var secretFiles: [SecretFile] { get }
    /// Where this service answers whether it is ready, for `--check-health`; nil when it
    /// serves no such endpoint.
    var readinessProbe: ReadinessProbe? { get }
}

/// An HTTP endpoint that answers 2xx when a service is ready, as the service's own settings
/// place it.
public struct ReadinessProbe: Sendable, Equatable {
    public var host: String
    public var port: Int
    public var path: String
    /// Sent as `Authorization: Bearer` when the endpoint needs a token.
    public var bearerToken: String?

    /// A wildcard listening address (`0.0.0.0`, `::`) is probed on loopback.
    public init(listeningOn host: String, port: Int, path: String, bearerToken: String? = nil) {
        switch host {
        case "0.0.0.0", "": self.host = "127.0.0.1"
        case "::", "[::]": self.host = "::1"
        default: self.host = host
        }
        self.port = port
        self.path = path
        self.bearerToken = bearerToken
    }
}
