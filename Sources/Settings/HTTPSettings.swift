/// The `http.*` keys: where the API listens and the limits it enforces.
public struct HTTPSettings: Sendable, Equatable {
    public var host = "127.0.0.1"
    public var port = 3000
    /// 0 means one event loop per active core.
    public var eventLoops = 0
    public var maxConnections = 10_000
    public var maxRequestLineBytes = 8 * 1024
    public var maxHeaderBytes = 16 * 1024
    public var maxHeaderCount = 100
    public var maxBodyBytes = 1024 * 1024
    public var headerTimeoutMs = 10_000
    public var idleTimeoutMs = 60_000
    public var writeTimeoutMs = 30_000
    public var shutdownTimeoutMs = 5_000

    public init() {}

    static let keys: Set<String> = [
        "http.host", "http.port", "http.eventLoops", "http.maxConnections", "http.maxRequestLineBytes",
        "http.maxHeaderBytes", "http.maxHeaderCount", "http.maxBodyBytes", "http.headerTimeoutMs",
        "http.idleTimeoutMs", "http.writeTimeoutMs", "http.shutdownTimeoutMs",
    ]

    init(_ source: SettingsSource) throws(SettingsError) {
        let defaults = HTTPSettings()
        host = try source.string("http.host", default: defaults.host) { $0.isEmpty ? "must not be empty" : nil }
        port = try source.int("http.port", default: defaults.port, in: 0...65535)
        eventLoops = try source.int("http.eventLoops", default: defaults.eventLoops, in: 0...256)
        maxConnections = try source.int("http.maxConnections", default: defaults.maxConnections, in: 1...1_000_000)
        maxRequestLineBytes = try source.int("http.maxRequestLineBytes", default: defaults.maxRequestLineBytes, in: 64...1 << 20)
        maxHeaderBytes = try source.int("http.maxHeaderBytes", default: defaults.maxHeaderBytes, in: 256...1 << 22)
        maxHeaderCount = try source.int("http.maxHeaderCount", default: defaults.maxHeaderCount, in: 1...10_000)
        maxBodyBytes = try source.int("http.maxBodyBytes", default: defaults.maxBodyBytes, in: 0...1 << 30)
        headerTimeoutMs = try source.int("http.headerTimeoutMs", default: defaults.headerTimeoutMs, in: 100...3_600_000)
        idleTimeoutMs = try source.int("http.idleTimeoutMs", default: defaults.idleTimeoutMs, in: 100...3_600_000)
        writeTimeoutMs = try source.int("http.writeTimeoutMs", default: defaults.writeTimeoutMs, in: 100...3_600_000)
        shutdownTimeoutMs = try source.int("http.shutdownTimeoutMs", default: defaults.shutdownTimeoutMs, in: 0...600_000)
    }
}
