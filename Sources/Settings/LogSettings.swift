import Logging

/// The `log.*` keys.
public struct LogSettings: Sendable, Equatable {
    /// How log lines look.
    public enum Format: String, Sendable, CaseIterable {
        /// Plain lines for people.
        case text
        /// One JSON object per line for collectors.
        case json
    }

    public var level: Logger.Level = .info
    public var format: Format = .text

    public init() {}

    static let keys: Set<String> = ["log.level", "log.format"]

    init(_ source: SettingsSource) throws(SettingsError) {
        let names = Logger.Level.allCases.map(\.rawValue)
        let text = try source.string("log.level", default: "info") { value in
            names.contains(value.lowercased()) ? nil : "must be one of \(names.joined(separator: ", "))"
        }
        level = Logger.Level(rawValue: text.lowercased())!
        let formats = Format.allCases.map(\.rawValue)
        let formatText = try source.string("log.format", default: "text") { value in
            formats.contains(value) ? nil : "must be one of \(formats.joined(separator: ", "))"
        }
        format = Format(rawValue: formatText)!
    }
}

extension LogSettings {
    /// Sends every logger of the process to standard error at the configured level. Only
    /// executables call this; libraries take a `Logger`.
    public func bootstrap() {
        let level = self.level
        let format = self.format
        LoggingSystem.bootstrap { label in
            switch format {
            case .text:
                var handler = StreamLogHandler.standardError(label: label)
                handler.logLevel = level
                return handler
            case .json:
                var handler = JSONLogHandler(label: label)
                handler.logLevel = level
                return handler
            }
        }
    }
}
