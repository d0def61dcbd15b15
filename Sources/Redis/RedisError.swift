/// A failure talking to Redis: the connection's own error, or an error reply.
public struct RedisError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What kind of failure, for callers to match on.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Base: String {
            case io, endOfStream, protocolError, timeout, connectionRefused, refused, tls, tlsVerification, other
        }

        private let base: Base

        /// Reading or writing the socket failed.
        public static let io = Code(base: .io)
        /// Redis closed the connection.
        public static let endOfStream = Code(base: .endOfStream)
        /// Redis sent something that is not RESP.
        public static let protocolError = Code(base: .protocolError)
        /// No reply, or no connection, within the deadline.
        public static let timeout = Code(base: .timeout)
        /// Nothing listens where Redis should be.
        public static let connectionRefused = Code(base: .connectionRefused)
        /// Redis answered and said no (a refused AUTH or SELECT).
        public static let refused = Code(base: .refused)
        /// The TLS link failed (a handshake with a plain-text port, our certificate refused …).
        public static let tls = Code(base: .tls)
        /// Redis's certificate did not verify (authority, dates, host name).
        public static let tlsVerification = Code(base: .tlsVerification)
        /// Anything else hiredis reports.
        public static let other = Code(base: .other)

        public var description: String { base.rawValue }
    }

    public let code: Code
    /// hiredis's message, or the operation that failed.
    public let message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }

    /// Redis answered a command with an error (a refused AUTH, say).
    public static func refused(_ message: String) -> RedisError {
        RedisError(.refused, "Redis refused: \(message)")
    }

    /// The deadline for a reply passed.
    public static func timedOut(afterMilliseconds milliseconds: Int) -> RedisError {
        RedisError(.timeout, "no reply within \(milliseconds) ms")
    }
}
