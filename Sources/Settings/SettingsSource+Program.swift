import Foundation
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
    /// The effective configuration for the start-up line, passwords masked.
    var loggable: [String: String] { get }
    /// The files that hold secrets (tokens, passwords), to warn about when others may read them.
    var secretFiles: [SecretFile] { get }
}
