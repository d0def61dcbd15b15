/// A failure from the broker or from librabbitmq.
public struct AMQPError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Kind: Sendable, Equatable {
        /// The broker closed the connection (`connection.close`).
        case connectionClosed
        /// The broker closed a channel (`channel.close`).
        case channelClosed
        /// librabbitmq reported a socket, protocol or timeout error.
        case library
        /// No answer within the deadline.
        case timeout
        /// A message that AMQP cannot carry (a short string past 255 bytes); nothing was
        /// sent and the connection is as it was.
        case unencodable
    }

    public let kind: Kind
    /// The AMQP reply code for closes (e.g. 403, 404, 406), else 0.
    public let replyCode: Int
    /// The broker's reply text, or librabbitmq's message.
    public let message: String
    /// What was being done, e.g. `queue.declare TestQueue`.
    public let operation: String

    public init(kind: Kind, replyCode: Int = 0, message: String, operation: String) {
        self.kind = kind
        self.replyCode = replyCode
        self.message = message
        self.operation = operation
    }

    /// Whether retrying cannot help: refused credentials or permissions (403), an object
    /// that exists with other arguments (406), a vhost that does not exist (530).
    public var isPermanent: Bool {
        [403, 406, 530].contains(replyCode)
    }

    public var description: String {
        replyCode != 0 ? "\(operation): \(replyCode) \(message)" : "\(operation): \(message)"
    }
}
