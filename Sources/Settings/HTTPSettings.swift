import HTTP1
import HTTPServer

/// The `http.*` keys: where `api` listens and the limits it holds clients to. Their defaults
/// are `HTTPServerConfiguration`'s and `HTTPLimits`'.
public enum HTTPSettings {
    private static let server = HTTPServerConfiguration()
    private static let limits = HTTPLimits()

    public static let host = Setting.name("http.host", default: server.host, help: "Address to listen on.")
    public static let port = Setting.integer("http.port", default: server.port, in: 0...65535, help: "Port to listen on.")
    public static let eventLoops = Setting.integer("http.eventLoops", default: server.eventLoops, in: 0...256,
                                                   help: "Event loops (threads); 0 = one per active core.")
    public static let maxConnections = Setting.integer("http.maxConnections", default: server.maxConnections, in: 1...1_000_000,
                                                       help: "Open connections past which new ones are closed at once.")
    public static let maxRequestLineBytes = Setting.integer("http.maxRequestLineBytes", default: limits.maxRequestLineBytes,
                                                            in: 64...1 << 20, help: "Longest request line (414 past it).")
    public static let maxHeaderBytes = Setting.integer("http.maxHeaderBytes", default: limits.maxHeaderBytes, in: 256...1 << 22,
                                                       help: "Largest header section (431 past it).")
    public static let maxHeaderCount = Setting.integer("http.maxHeaderCount", default: limits.maxHeaderCount, in: 1...10_000,
                                                       help: "Most header fields (431 past it).")
    public static let maxBodyBytes = Setting.integer("http.maxBodyBytes", default: limits.maxBodyBytes, in: 0...1 << 30,
                                                     help: "Largest body (413 past it); chunked bodies count their decoded data.")
    public static let headerTimeoutMs = Setting.integer("http.headerTimeoutMs", default: server.headerTimeoutMilliseconds,
                                                        in: 100...3_600_000, help: "Time for a header section to arrive (408 after).")
    public static let idleTimeoutMs = Setting.integer("http.idleTimeoutMs", default: server.idleTimeoutMilliseconds,
                                                      in: 100...3_600_000, help: "Idle keep-alive connections close after this.")
    public static let writeTimeoutMs = Setting.integer("http.writeTimeoutMs", default: server.writeTimeoutMilliseconds,
                                                       in: 100...3_600_000, help: "A write blocked this long closes the connection.")
    public static let shutdownTimeoutMs = Setting.integer("http.shutdownTimeoutMs", default: server.shutdownGraceMilliseconds,
                                                          in: 0...600_000, help: "Time in-flight requests get at shutdown.")

    static let declarations = [
        host.declaration, port.declaration, eventLoops.declaration, maxConnections.declaration, maxRequestLineBytes.declaration,
        maxHeaderBytes.declaration, maxHeaderCount.declaration, maxBodyBytes.declaration, headerTimeoutMs.declaration,
        idleTimeoutMs.declaration, writeTimeoutMs.declaration, shutdownTimeoutMs.declaration,
    ]
}

extension HTTPServerConfiguration {
    /// The server's configuration from the `http.*` keys.
    init(_ source: SettingsSource) throws(SettingsError) {
        typealias Keys = HTTPSettings
        self.init(
            host: try source.read(Keys.host),
            port: try source.read(Keys.port),
            eventLoops: try source.read(Keys.eventLoops),
            maxConnections: try source.read(Keys.maxConnections),
            limits: HTTPLimits(
                maxRequestLineBytes: try source.read(Keys.maxRequestLineBytes),
                maxHeaderBytes: try source.read(Keys.maxHeaderBytes),
                maxHeaderCount: try source.read(Keys.maxHeaderCount),
                maxBodyBytes: try source.read(Keys.maxBodyBytes)
            ),
            headerTimeoutMilliseconds: try source.read(Keys.headerTimeoutMs),
            idleTimeoutMilliseconds: try source.read(Keys.idleTimeoutMs),
            writeTimeoutMilliseconds: try source.read(Keys.writeTimeoutMs),
            shutdownGraceMilliseconds: try source.read(Keys.shutdownTimeoutMs)
        )
    }
}
