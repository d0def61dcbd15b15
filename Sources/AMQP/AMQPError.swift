internal import CRabbitMQ

/// A failure from the broker or from librabbitmq.
public struct AMQPError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What kind of failure, for callers to match on.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Base: String {
            case connectionClosed, channelClosed, library, timeout, unencodable, tls, tlsVerification, tlsSetup
        }

        private let base: Base

        /// The broker closed the connection (`connection.close`).
        public static let connectionClosed = Code(base: .connectionClosed)
        /// The broker closed a channel (`channel.close`); the connection lives on.
        public static let channelClosed = Code(base: .channelClosed)
        /// librabbitmq reported a socket, protocol or timeout error.
        public static let library = Code(base: .library)
        /// No answer within the deadline.
        public static let timeout = Code(base: .timeout)
        /// A message that AMQP cannot carry (a short string past 255 bytes); nothing was
        /// sent and the connection is as it was.
        public static let unencodable = Code(base: .unencodable)

        /// The TLS handshake failed without a verdict on the certificate: the other side
        /// speaks no TLS, or refused ours. Retried, as the network may be at fault.
        public static let tls = Code(base: .tls)
        /// The broker's certificate failed verification (authority, dates, host name).
        public static let tlsVerification = Code(base: .tlsVerification)
        /// Our own CA file, certificate or key cannot be used.
        public static let tlsSetup = Code(base: .tlsSetup)

        public var description: String { base.rawValue }
    }

    public let code: Code
    /// The AMQP reply code for closes (e.g. 403, 404, 406), else 0.
    public let replyCode: Int
    /// The broker's reply text, or librabbitmq's message.
    public let message: String
    /// What was being done, e.g. `queue.declare TestQueue`.
    public let operation: String

    public init(_ code: Code, replyCode: Int = 0, message: String, operation: String) {
        self.code = code
        self.replyCode = replyCode
        self.message = message
        self.operation = operation
    }

    /// Whether retrying cannot help: refused credentials or permissions (ACCESS_REFUSED), an
    /// object that exists with other arguments (PRECONDITION_FAILED), a vhost that does not
    /// exist or may not be used (NOT_ALLOWED), a certificate that does not verify or our own
    /// TLS files being unusable.
    public var isPermanent: Bool {
        code == .tlsVerification || code == .tlsSetup
            || [AMQP_ACCESS_REFUSED, AMQP_PRECONDITION_FAILED, AMQP_NOT_ALLOWED].contains(Int32(clamping: replyCode))
    }

    public var description: String {
        replyCode != 0 ? "\(operation): \(replyCode) \(message)" : "\(operation): \(message)"
    }
}
