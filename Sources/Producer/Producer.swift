import Messaging

/// Publishes messages with publisher confirms over one long-lived channel and reports what
/// became of each. Used by the consumer for replies and by `publish` for load.
///
/// Two ways to use it: `publish(_:)` sends a batch and waits for its confirms; `send(_:)`
/// with `collectConfirms(waitMilliseconds:)` and `takeOutcomes(of:)` keeps several batches
/// with the broker at once, so the wait for one batch's confirms overlaps the work on the
/// next.
///
/// Thread-confined, like the channel under it.
public final class Producer {
    private let channel: PublishChannel
    private var tracker = ConfirmTracker()
    private let confirmTimeout: Duration
    /// Since when publishes have been outstanding with no word from the broker; nil when
    /// none are outstanding.
    private var waitingSince: ContinuousClock.Instant?

    /// - Parameter confirmTimeoutMilliseconds: how long outstanding publishes may go without
    ///   any confirm from the broker before the channel counts as dead.
    public init(channel: PublishChannel, confirmTimeoutMilliseconds: Int = 5000) {
        self.channel = channel
        confirmTimeout = .milliseconds(confirmTimeoutMilliseconds)
    }

    /// Publishes still waiting for the broker's word.
    public var pendingCount: Int { tracker.pendingCount }

    /// Publishes every message of `batch` without waiting; returns their sequence numbers,
    /// whose outcomes `takeOutcomes(of:)` gives once `collectConfirms` has read them.
    public func send(_ batch: [(message: Message, destination: Destination)]) throws(MessagingError) -> [UInt64] {
        if tracker.pendingCount == 0, !batch.isEmpty { waitingSince = .now }
        var sequences: [UInt64] = []
        sequences.reserveCapacity(batch.count)
        for (message, destination) in batch {
            try channel.publish(message, to: destination)
            sequences.append(tracker.published(messageID: message.messageID))
        }
        return sequences
    }

    /// Reads the confirms that have arrived, waiting up to `waitMilliseconds` for the first
    /// one. Also services the connection (heartbeats, flow control), so an idle producer
    /// should call it now and then.
    ///
    /// Throws when publishes have been outstanding for the confirm timeout without a single
    /// confirm: the channel can no longer be trusted. Time the broker spends blocking the
    /// connection (an alarm) does not count, so an alarm is waited out rather than mistaken
    /// for a dead link.
    public func collectConfirms(waitMilliseconds: Int) throws(MessagingError) {
        var wait = waitMilliseconds
        while let event = try channel.nextConfirmEvent(timeoutMilliseconds: wait) {
            tracker.apply(event)
            waitingSince = tracker.pendingCount > 0 ? .now : nil
            wait = 0
        }
        guard let since = waitingSince else { return }
        if channel.isBlocked {
            waitingSince = .now
        } else if ContinuousClock.now - since >= confirmTimeout {
            tracker.reset()
            waitingSince = nil
            throw MessagingError(reason: "no publisher confirm within \(confirmTimeout.milliseconds) ms")
        }
    }

    /// The outcomes of `sequences`, in their order, once every one is known (and then
    /// forgotten); nil while any is still outstanding.
    public func takeOutcomes(of sequences: [UInt64]) -> [ConfirmTracker.Outcome]? {
        guard sequences.allSatisfy({ tracker.outcome(of: $0) != nil }) else { return nil }
        return sequences.map { tracker.takeOutcome(of: $0)! }
    }

    /// Publishes every message, then waits for all their confirms. The outcomes are in the
    /// order of `batch`.
    public func publish(_ batch: [(message: Message, destination: Destination)]) throws(MessagingError) -> [ConfirmTracker.Outcome] {
        let sequences = try send(batch)
        while true {
            if let outcomes = takeOutcomes(of: sequences) { return outcomes }
            try collectConfirms(waitMilliseconds: 100)
        }
    }

    /// Forgets outstanding publishes after the channel was replaced.
    public func channelReplaced() {
        tracker.reset()
        waitingSince = nil
    }
}

extension Duration {
    fileprivate var milliseconds: Int64 {
        components.seconds * 1000 + components.attoseconds / 1_000_000_000_000_000
    }
}
