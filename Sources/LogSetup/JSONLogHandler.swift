import Glibc
import HTTP1
import LinuxIO
import Logging

/// A swift-log handler that writes one JSON object per line to standard error for log
/// collectors: timestamp, level, label, swift-log's `source` (the module that logged),
/// message, and the metadata as an object with one value per key (lists as arrays), keys in
/// swift-log's dotted style (`redis.address`, `http.eventLoop`). Members are in key order.
public struct JSONLogHandler: LogHandler {
    public var logLevel: Logger.Level = .info
    public var metadata: Logger.Metadata = [:]
    private let label: String

    public init(label: String) {
        self.label = label
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        let merged = metadata.merging(event.metadata ?? [:]) { $1 }
        var line = "{\"label\":" + JSONString.quote(label)
            + ",\"level\":" + JSONString.quote(event.level.rawValue)
            + ",\"message\":" + JSONString.quote(event.message.description)
        if !merged.isEmpty {
            line += ",\"metadata\":" + Self.json(.dictionary(merged))
        }
        line += ",\"source\":" + JSONString.quote(event.source)
            + ",\"timestamp\":" + JSONString.quote(Self.timestamp()) + "}\n"
        StandardError.write(line)
    }

    /// A metadata value as JSON; dictionaries with their keys in order.
    private static func json(_ value: Logger.Metadata.Value) -> String {
        switch value {
        case .string(let text): JSONString.quote(text)
        case .stringConvertible(let convertible): JSONString.quote(convertible.description)
        case .array(let values): "[" + values.map(json).joined(separator: ",") + "]"
        case .dictionary(let dictionary):
            "{" + dictionary.sorted { $0.key < $1.key }.map { JSONString.quote($0.key) + ":" + json($0.value) }.joined(separator: ",") + "}"
        }
    }

    /// Now in UTC, RFC 3339 with milliseconds: `2026-12-02T21:31:36.123Z`.
    static func timestamp() -> String {
        let now = WallClock.now()
        var parts = tm()
        var seconds = now.seconds
        gmtime_r(&seconds, &parts)
        func padded(_ value: Int32, _ width: Int) -> String {
            let digits = String(value)
            return String(repeating: "0", count: max(0, width - digits.count)) + digits
        }
        return "\(padded(parts.tm_year + 1900, 4))-\(padded(parts.tm_mon + 1, 2))-\(padded(parts.tm_mday, 2))"
            + "T\(padded(parts.tm_hour, 2)):\(padded(parts.tm_min, 2)):\(padded(parts.tm_sec, 2))"
            + ".\(padded(Int32(now.nanoseconds / 1_000_000), 3))Z"
    }
}
