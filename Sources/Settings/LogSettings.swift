import LogSetup
import Logging
import SettingKeys

/// The `log.*` keys.
public struct LogSettings: Sendable, Equatable {
    private static let levels = Logger.Level.allCases.map(\.rawValue)
    public static let level = Setting.string(
        "log.level", default: "info", help: "The least severe level logged (\(levels.joined(separator: ", ")); any case)"
    ) { text in levels.contains(text.lowercased()) ? nil : "must be one of \(levels.joined(separator: ", "))" }
    public static let format = Setting.choice(
        "log.format", default: "text", among: LogFormat.allCases.map(\.rawValue),
        help: "text for people, json for collectors (one object per line: timestamp, level, label, message, metadata)"
    )

    static let declarations = [level.declaration, format.declaration]

    public var level: Logger.Level
    public var format: LogFormat

    init(_ source: SettingsSource) throws(SettingsError) {
        level = Logger.Level(rawValue: try source.read(Self.level).lowercased())!
        format = LogFormat(rawValue: try source.read(Self.format))!
    }

    /// Sends every logger of the process to standard error as configured.
    public func bootstrap() {
        bootstrapLogging(level: level, format: format)
    }
}
