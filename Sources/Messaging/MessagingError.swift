/// A broker failure as the application sees it.
public struct MessagingError: Error, Sendable, CustomStringConvertible {
    /// What kind of failure, for callers to match on.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Base: String {
            case connection, channelClosed, unsendable
        }

        private let base: Base

        /// The connection failed or answered too late: reconnect.
        public static let connection = Code(base: .connection)
        /// The broker closed the channel because of something done on it (a publish to a
        /// destination it refused, say); the connection lives on.
        public static let channelClosed = Code(base: .channelClosed)
        /// This one message cannot be carried (a property too long for AMQP); nothing was
        /// sent and the channel is as it was.
        public static let unsendable = Code(base: .unsendable)

        public var description: String { base.rawValue }
    }

    public let code: Code
    /// What went wrong, with the broker's reason when it gave one.
    public let reason: String
    /// Whether retrying cannot help (refused credentials, mismatched declarations).
    public let isPermanent: Bool
    /// The broker library's own error, with its codes, when one caused this.
    public let underlying: (any Error & Sendable)?

    public init(_ code: Code = .connection, reason: String, isPermanent: Bool = false, underlying: (any Error & Sendable)? = nil) {
        self.code = code
        self.reason = reason
        self.isPermanent = isPermanent
        self.underlying = underlying
    }

    public var description: String { reason }
}

extension MessagingError: Equatable {
    /// Equal when code, reason and permanence are: the underlying error is detail.
    public static func == (lhs: MessagingError, rhs: MessagingError) -> Bool {
        lhs.code == rhs.code && lhs.reason == rhs.reason && lhs.isPermanent == rhs.isPermanent
    }
}
