/// Size limits a request must stay within; each is a configuration key of the server.
public struct HTTPLimits: Sendable, Equatable {
    /// The longest request line, in bytes, before 414.
    public var maxRequestLineBytes: Int
    /// The largest header section (or chunked trailer section), in bytes, before 431.
    public var maxHeaderBytes: Int
    /// The most header fields, before 431.
    public var maxHeaderCount: Int
    /// The largest body, in bytes, before 413; chunked bodies count their decoded data.
    public var maxBodyBytes: Int

    /// Creates limits; the defaults are the documented ones.
    public init(
        maxRequestLineBytes: Int = 8 * 1024,
        maxHeaderBytes: Int = 16 * 1024,
        maxHeaderCount: Int = 100,
        maxBodyBytes: Int = 1024 * 1024
    ) {
        self.maxRequestLineBytes = maxRequestLineBytes
        self.maxHeaderBytes = maxHeaderBytes
        self.maxHeaderCount = maxHeaderCount
        self.maxBodyBytes = maxBodyBytes
    }
}
