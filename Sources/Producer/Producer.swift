import Messaging

/// Publishes messages with publisher confirms over one long-lived channel and reports what
/// became of each. Used by the consumer for replies and by `publish` for load.
///
/// Two ways to use it: `publish(_:)` sends a batch and waits for its confirms; `send(_:)`
/// with `collectConfirms(waitMilliseconds:)` and `takeOutcomes(of:)` keeps several batches
/// with the broker at once, so the wait for one batch's confirms overlaps the work on the
/// next.
///
/// One message never fails the others: a message the protocol cannot carry is not sent and
/// its outcome says so; when the broker closes the channel because of a publish, a new
/// channel is opened and the publishes it left without word come out as `.lost`, for the
/// caller to send again (one at a time, to find the one the broker refuses).
///
/// Thread-confined, like the channel under it.
public final class Producer {
    /// How long a channel may refuse every message before it is taken for broken and the
    /// connection replaced. RabbitMQ 3.10 keeps refusing, on a channel that published to a
    /// quorum queue while the queue was electing its leader, messages that a fresh channel
    /// gets confirmed at once. The consumer and `publish` both follow it.
    public static let refusalsBeforeRenewal: Duration = .seconds(2)

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

    /// Publishes every message of `batch` without waiting; returns their tickets, whose
    /// outcomes `takeOutcomes(of:)` gives once `collectConfirms` has read them.
    public func send(_ batch: [(message: Message, destination: Destination)]) throws(MessagingError) -> [UInt64] {
        var tickets: [UInt64] = []
        tickets.reserveCapacity(batch.count)
        for (message, destination) in batch {
            do {
                try channel.publish(message, to: destination)
            } catch where error.code == .unsendable {
                tickets.append(tracker.unsendable(error.reason))
                continue
            }
            if tracker.pendingCount == 0 { waitingSince = .now }
            tickets.append(tracker.published(messageID: message.messageID))
        }
        return tickets
    }

    /// Reads the confirms that have arrived, waiting up to `waitMilliseconds` for the first
    /// one. Also services the connection (heartbeats, flow control), so an idle producer
    /// should call it now and then.
    ///
    /// A channel the broker closed is replaced here (its outstanding publishes become
    /// `.lost`). Throws when the connection fails, or when publishes have been outstanding
    /// for the confirm timeout without a single confirm: the channel can no longer be
    /// trusted. Time the broker spends blocking the connection (an alarm) does not count, so
    /// an alarm is waited out rather than mistaken for a dead link.
    public func collectConfirms(waitMilliseconds: Int) throws(MessagingError) {
        var wait = waitMilliseconds
        do {
            while let event = try channel.nextConfirmEvent(timeoutMilliseconds: wait) {
                tracker.apply(event)
                waitingSince = tracker.pendingCount > 0 ? .now : nil
                wait = 0
            }
        } catch where error.code == .channelClosed {
            tracker.channelClosed(error.reason)
            waitingSince = nil
            try channel.reopen()
            return
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

    /// The outcomes of `tickets`, in their order, once every one is known (and then
    /// forgotten); nil while any is still outstanding.
    public func takeOutcomes(of tickets: [UInt64]) -> [ConfirmTracker.Outcome]? {
        guard tickets.allSatisfy({ tracker.outcome(of: $0) != nil }) else { return nil }
        return tickets.map { tracker.takeOutcome(of: $0)! }
    }

    /// Every outcome known now, by ticket (and then forgotten here): for callers that keep
    /// their own account of which tickets they wait for.
    public func takeKnownOutcomes() -> [UInt64: ConfirmTracker.Outcome] {
        tracker.takeKnownOutcomes()
    }

    /// Publishes every message, then waits for all their confirms. The outcomes are in the
    /// order of `batch`.
    public func publish(_ batch: [(message: Message, destination: Destination)]) throws(MessagingError) -> [ConfirmTracker.Outcome] {
        let tickets = try send(batch)
        while true {
            if let outcomes = takeOutcomes(of: tickets) { return outcomes }
            try collectConfirms(waitMilliseconds: 100)
        }
    }
}

extension Duration {
    fileprivate var milliseconds: Int64 {
        components.seconds * 1000 + components.attoseconds / 1_000_000_000_000_000
    }
}
