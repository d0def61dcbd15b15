import Messaging

/// Publishes messages with publisher confirms over one long-lived channel and reports what
/// became of each. Used by the consumer for replies and by `publish` for load.
///
/// Thread-confined, like the channel under it.
public final class Producer {
    private let channel: PublishChannel
    private var tracker = ConfirmTracker()
    private let confirmTimeoutMilliseconds: Int

    /// - Parameter confirmTimeoutMilliseconds: how long a batch waits for the broker's
    ///   confirms before the missing ones count as failed.
    public init(channel: PublishChannel, confirmTimeoutMilliseconds: Int = 5000) {
        self.channel = channel
        self.confirmTimeoutMilliseconds = confirmTimeoutMilliseconds
    }

    /// Publishes every message, then waits for all their confirms. The outcomes are in the
    /// order of `batch`; a message whose confirm did not come in time is reported as
    /// `.nacked`, which callers treat as "not delivered, try again".
    public func publish(_ batch: [(message: Message, destination: Destination)]) throws(MessagingError) -> [ConfirmTracker.Outcome] {
        var sequences: [UInt64] = []
        sequences.reserveCapacity(batch.count)
        for (message, destination) in batch {
            try channel.publish(message, to: destination)
            sequences.append(tracker.published(messageID: message.messageID))
        }
        try awaitConfirms(deadlineMilliseconds: confirmTimeoutMilliseconds)
        return sequences.map { tracker.takeOutcome(of: $0) ?? .nacked }
    }

    private func awaitConfirms(deadlineMilliseconds: Int) throws(MessagingError) {
        var start = ContinuousClock.now
        let limit = Duration.milliseconds(deadlineMilliseconds)
        while tracker.pendingCount > 0 {
            // While the broker blocks the connection (an alarm), confirms cannot come: that
            // time does not count against the deadline, so an alarm is waited out rather
            // than mistaken for a dead link.
            if channel.isBlocked { start = ContinuousClock.now }
            let elapsed = ContinuousClock.now - start
            guard elapsed < limit else {
                // The broker never answered: the channel can no longer be trusted.
                tracker.reset()
                throw MessagingError(reason: "no publisher confirm within \(deadlineMilliseconds) ms")
            }
            let remaining = limit - elapsed
            let milliseconds = Int(remaining.components.seconds * 1000 + remaining.components.attoseconds / 1_000_000_000_000_000)
            if let event = try channel.nextConfirmEvent(timeoutMilliseconds: max(1, milliseconds)) {
                tracker.apply(event)
            }
        }
    }

    /// Forgets outstanding publishes after the channel was replaced.
    public func channelReplaced() {
        tracker.reset()
    }
}
