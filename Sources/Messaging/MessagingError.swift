/// A broker failure as the application sees it.
public struct MessagingError: Error, Sendable, Equatable, CustomStringConvertible {
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

    public init(_ code: Code = .connection, reason: String, isPermanent: Bool = false) {
        self.code = code
        self.reason = reason
        self.isPermanent = isPermanent
    }

    public var description: String { reason }
}
