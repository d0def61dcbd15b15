import Logging

/// How log lines look.
public enum LogFormat: String, Sendable, CaseIterable {
    /// Plain lines for people.
    case text
    /// One JSON object per line for collectors.
    case json
}

/// Sends every logger of the process to standard error at `level`, as `format` says. Only
/// executables call this, once, before they log; libraries take a `Logger`.
public func bootstrapLogging(level: Logger.Level, format: LogFormat) {
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
