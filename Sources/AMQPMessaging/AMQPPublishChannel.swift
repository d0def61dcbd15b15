import AMQP
import Messaging

/// A `PublishChannel` on a connection of its own, channel 1 in confirm mode (unless asked
/// otherwise, for measuring what confirms cost). Every publish is mandatory, so unroutable
/// messages come back as returns.
///
/// Thread-confined.
public final class AMQPPublishChannel: PublishChannel {
    private static let channel: UInt16 = 1
    let connection: AMQPConnection
    private let confirms: Bool

    /// Why the broker stopped reading from this connection (`connection.blocked`, sent on a
    /// memory or disk alarm), or nil. A publish while blocked would sit in the socket until
    /// the alarm clears, so callers hold their publishes until this is nil again.
    public private(set) var blockedReason: String? {
        didSet { if oldValue != blockedReason { onBlockedChange?(blockedReason) } }
    }

    public var isBlocked: Bool { blockedReason != nil }

    /// Called when the broker blocks (with its reason) or unblocks (nil) the connection,
    /// wherever the news is read — also in the middle of waiting for confirms.
    public var onBlockedChange: ((String?) -> Void)?

    /// Connects and enables confirms. Without `confirms` the broker says nothing about
    /// publishes, and `nextConfirmEvent` only ever services the connection.
    public init(endpoint: AMQPEndpoint, confirms: Bool = true) throws(MessagingError) {
        self.confirms = confirms
        do {
            connection = try endpoint.connect(nameSuffix: " (publisher)")
            try connection.openChannel(Self.channel)
            if confirms { try connection.enableConfirms(channel: Self.channel) }
        } catch {
            throw MessagingError(error)
        }
    }

    public func publish(_ message: Message, to destination: Destination) throws(MessagingError) {
        do {
            try connection.publish(exchange: destination.exchange, routingKey: destination.routingKey, mandatory: true,
                                   properties: message.amqpProperties, body: message.body, channel: Self.channel)
        } catch {
            throw MessagingError(error)
        }
    }

    public func reopen() throws(MessagingError) {
        do {
            try connection.openChannel(Self.channel)
            if confirms { try connection.enableConfirms(channel: Self.channel) }
        } catch {
            throw MessagingError(error)
        }
    }

    public func nextConfirmEvent(timeoutMilliseconds: Int) throws(MessagingError) -> ConfirmEvent? {
        let event: AMQPEvent?
        do {
            event = try connection.nextEvent(timeoutMilliseconds: timeoutMilliseconds)
        } catch {
            throw MessagingError(error)
        }
        switch event {
        case .ack(_, let tag, let multiple): return .ack(sequence: tag, multiple: multiple)
        case .nack(_, let tag, let multiple): return .nack(sequence: tag, multiple: multiple)
        case .returned(_, _, _, _, _, let properties): return .returned(messageID: properties.messageIDBytes.map(MessageID.init(bytes:)))
        case .blocked(let reason):
            blockedReason = reason.isEmpty ? "blocked by the broker" : reason
            return nil
        case .unblocked:
            blockedReason = nil
            return nil
        default: return nil
        }
    }

    /// Reads whatever the broker sent meanwhile (heartbeats, flow control) without waiting:
    /// an idle publisher connection must still be serviced within the heartbeat interval.
    public func serviceConnection() throws(MessagingError) {
        _ = try nextConfirmEvent(timeoutMilliseconds: 0)
    }

    /// Closes the channel and connection politely.
    public func close() {
        connection.close()
    }
}
