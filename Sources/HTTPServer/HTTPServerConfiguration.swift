import HTTP1

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
        self.idleTimeoutMilliseconds = idleTimeoutMilliseconds
        self.writeTimeoutMilliseconds = writeTimeoutMilliseconds
        self.shutdownGraceMilliseconds = shutdownGraceMilliseconds
    }
}
