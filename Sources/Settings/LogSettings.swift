import Logging

/// The `log.*` keys.
public struct LogSettings: Sendable, Equatable {
    public var level: Logger.Level = .info

    public init() {}

    static let keys: Set<String> = ["log.level"]

    init(_ source: SettingsSource) throws(SettingsError) {
        let names = Logger.Level.allCases.map(\.rawValue)
        let text = try source.string("log.level", default: "info") { value in
            names.contains(value.lowercased()) ? nil : "must be one of \(names.joined(separator: ", "))"
        }
        level = Logger.Level(rawValue: text.lowercased())!
    }
}

extension LogSettings {
    /// Sends every logger of the process to standard error at the configured level. Only
    /// executables call this; libraries take a `Logger`.
    public func bootstrap() {
        let level = self.level
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
    }
}
