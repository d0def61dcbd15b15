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

    /// Set from `connection.blocked` and cleared by `connection.unblocked`.
    public private(set) var blockedReason: String?

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

    public func close() {
        connection.close()
    }
}
