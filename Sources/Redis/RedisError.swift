/// A failure talking to Redis: the connection's own error, or an error reply.
public struct RedisError: Error, Sendable, Equatable, CustomStringConvertible {
    enum Code: Sendable, Equatable {
        case io
        case endOfStream
        case protocolError
        case timeout
        case connectionRefused
        case refused
        case other
    }

    let code: Code
    /// hiredis's message, or the operation that failed.
    public let message: String

    init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    /// Whether the connection is unusable after this error (hiredis contexts are dead after
    /// any I/O or protocol error).
    public var closesConnection: Bool { true }

    public var description: String { message }

    /// Whether Redis answered and said no (a refused AUTH or SELECT), rather than failing
    /// to answer.
    public var isRefusal: Bool { code == .refused }

    /// Redis answered a command with an error (a refused AUTH, say).
    public static func refused(_ message: String) -> RedisError {
        RedisError(.refused, "Redis refused: \(message)")
    }

    /// The deadline for a reply passed.
    public static func timedOut(afterMilliseconds milliseconds: Int) -> RedisError {
        RedisError(.timeout, "no reply within \(milliseconds) ms")
    }
}
