/// A channel that publishes with publisher confirms. Publishes are numbered from 1 in the
/// order they were made; confirm events refer to those numbers.
public protocol PublishChannel: AnyObject {
    /// Publishes one message, `mandatory` so that an unroutable one comes back. Throws
    /// `.unsendable` (having sent nothing) for a message the protocol cannot carry.
    func publish(_ message: Message, to destination: Destination) throws(MessagingError)

    /// Opens a fresh channel in confirm mode after the broker closed this one
    /// (`.channelClosed`); publish numbering starts again from 1.
    func reopen() throws(MessagingError)

    /// The next confirm-related event, waiting up to `timeoutMilliseconds`; nil on timeout.
    func nextConfirmEvent(timeoutMilliseconds: Int) throws(MessagingError) -> ConfirmEvent?

    /// Why the broker stopped reading from this channel's connection (flow control on a
    /// memory or disk alarm), or nil. Confirms cannot come while it is blocked, and a
    /// publish would sit in the socket until the alarm clears.
    var blockedReason: String? { get }

    /// Closes the channel and its connection.
    func close()
}

extension PublishChannel {
    /// Whether the broker has stopped reading from this channel's connection.
    public var isBlocked: Bool { blockedReason != nil }
}

/// What the broker says about published messages.
public enum ConfirmEvent: Sendable, Equatable {
    /// Publish `sequence` (and all before it when `multiple`) is safely with the broker.
    case ack(sequence: UInt64, multiple: Bool)
    /// The broker could not take publish `sequence` (and before it when `multiple`).
    case nack(sequence: UInt64, multiple: Bool)
    /// The message with this id could not be routed; its ack follows.
    case returned(messageID: MessageID?)
}
