import HTTP1
import SettingKeys

/// How the server listens, how many loops it runs and how long it waits for clients.
public struct HTTPServerConfiguration: Sendable, Equatable {
    public var host: String
    public var port: Int
    /// Event loops (threads); 0 means one per active core.
    public var eventLoops: Int
    /// Open connections past which new ones are closed at once.
    public var maxConnections: Int
    public var limits: HTTPLimits
    /// Time allowed for a whole header section to arrive after its first byte (408 after).
    public var headerTimeoutMilliseconds: Int
    /// Time for a whole body to arrive after its head (408 after).
    public var bodyTimeoutMilliseconds: Int
    /// Time an idle keep-alive connection stays open.
    public var idleTimeoutMilliseconds: Int
    /// Time a write may stay blocked on a client that does not read.
    public var writeTimeoutMilliseconds: Int
    /// Time in-flight requests get to finish when the server stops.
    public var shutdownGraceMilliseconds: Int

    public init(
        host: String = "127.0.0.1",
        port: Int = 3000,
        eventLoops: Int = 0,
        maxConnections: Int = 10_000,
        limits: HTTPLimits = HTTPLimits(),
        headerTimeoutMilliseconds: Int = 10_000,
        bodyTimeoutMilliseconds: Int = 30_000,
        idleTimeoutMilliseconds: Int = 60_000,
        writeTimeoutMilliseconds: Int = 30_000,
        shutdownGraceMilliseconds: Int = 5_000
    ) {
        self.host = host
        self.port = port
        self.eventLoops = eventLoops
        self.maxConnections = maxConnections
        self.limits = limits
        self.headerTimeoutMilliseconds = headerTimeoutMilliseconds
        self.bodyTimeoutMilliseconds = bodyTimeoutMilliseconds
        self.idleTimeoutMilliseconds = idleTimeoutMilliseconds
        self.writeTimeoutMilliseconds = writeTimeoutMilliseconds
        self.shutdownGraceMilliseconds = shutdownGraceMilliseconds
    }
}

extension HTTPServerConfiguration {
    private static let server = HTTPServerConfiguration()
    private static let limits = HTTPLimits()

    /// The `http.*` keys: where `api` listens and the limits it holds clients to, with the
    /// defaults above and `HTTPLimits`'.
    public enum Keys {
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
        public static let bodyTimeoutMs = Setting.integer("http.bodyTimeoutMs", default: server.bodyTimeoutMilliseconds,
                                                          in: 100...3_600_000, help: "Time for a body to arrive after its head (408 after).")
        public static let idleTimeoutMs = Setting.integer("http.idleTimeoutMs", default: server.idleTimeoutMilliseconds,
                                                          in: 100...3_600_000, help: "Idle keep-alive connections close after this.")
        public static let writeTimeoutMs = Setting.integer("http.writeTimeoutMs", default: server.writeTimeoutMilliseconds,
                                                           in: 100...3_600_000, help: "A write blocked this long closes the connection.")
        public static let shutdownTimeoutMs = Setting.integer("http.shutdownTimeoutMs", default: server.shutdownGraceMilliseconds,
                                                              in: 0...600_000, help: "Time in-flight requests get at shutdown.")
    }

    /// Every `http.*` key, in the order help and docs list them.
    public static let declarations = [
        Keys.host.declaration, Keys.port.declaration, Keys.eventLoops.declaration, Keys.maxConnections.declaration,
        Keys.maxRequestLineBytes.declaration, Keys.maxHeaderBytes.declaration, Keys.maxHeaderCount.declaration,
        Keys.maxBodyBytes.declaration, Keys.headerTimeoutMs.declaration, Keys.bodyTimeoutMs.declaration, Keys.idleTimeoutMs.declaration,
        Keys.writeTimeoutMs.declaration, Keys.shutdownTimeoutMs.declaration,
    ]

    /// The configuration from the `http.*` keys.
    public init(_ values: some SettingValues) throws(SettingsError) {
        self.init(
            host: try values.read(Keys.host),
            port: try values.read(Keys.port),
            eventLoops: try values.read(Keys.eventLoops),
            maxConnections: try values.read(Keys.maxConnections),
            limits: HTTPLimits(
                maxRequestLineBytes: try values.read(Keys.maxRequestLineBytes),
                maxHeaderBytes: try values.read(Keys.maxHeaderBytes),
                maxHeaderCount: try values.read(Keys.maxHeaderCount),
                maxBodyBytes: try values.read(Keys.maxBodyBytes)
            ),
            headerTimeoutMilliseconds: try values.read(Keys.headerTimeoutMs),
            bodyTimeoutMilliseconds: try values.read(Keys.bodyTimeoutMs),
            idleTimeoutMilliseconds: try values.read(Keys.idleTimeoutMs),
            writeTimeoutMilliseconds: try values.read(Keys.writeTimeoutMs),
            shutdownGraceMilliseconds: try values.read(Keys.shutdownTimeoutMs)
        )
    }
}
