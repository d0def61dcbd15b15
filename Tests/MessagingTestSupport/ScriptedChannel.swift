import Messaging

/// An in-memory publish channel that confirms as scripted: by default every publish is
/// acknowledged on its own.
public final class ScriptedChannel: PublishChannel {
    public private(set) var published: [(message: Message, destination: Destination)] = []
    /// Confirm events not yet read.
    public var events: [ConfirmEvent] = []
    public var blockedReason: String?
    /// What the broker says about the `sequence`-th publish on the current channel.
    public var respond: (_ sequence: Int, _ message: Message) -> [ConfirmEvent] = { sequence, _ in
        [.ack(sequence: UInt64(sequence), multiple: false)]
    }
    /// Thrown by the next `nextConfirmEvent` (a channel the broker closed, say).
    public var failure: MessagingError?
    /// Messages with this id are refused before sending, as AMQP refuses a 256-byte id.
    public var unsendableID: MessageID?
    public private(set) var reopened = 0
    public private(set) var closed = false
    /// Publishes on the current channel, which the broker numbers from 1.
    private var sequence = 0

    public init() {}

    public func publish(_ message: Message, to destination: Destination) throws(MessagingError) {
        if let unsendableID, message.messageID == unsendableID {
            throw MessagingError(.unsendable, reason: "message_id is longer than 255 bytes")
        }
        published.append((message, destination))
        sequence += 1
        events += respond(sequence, message)
    }

    public func reopen() throws(MessagingError) {
        reopened += 1
        sequence = 0
        events = []
    }

    public func nextConfirmEvent(timeoutMilliseconds: Int) throws(MessagingError) -> ConfirmEvent? {
        if let failure {
            self.failure = nil
            throw failure
        }
        return events.isEmpty ? nil : events.removeFirst()
    }

    public func close() {
        closed = true
    }
}
