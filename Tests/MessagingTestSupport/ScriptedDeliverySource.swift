import Messaging

/// An in-memory delivery source: hands out the deliveries put in `waiting` and records what
/// was acknowledged and handed back, as the broker would see it.
public final class ScriptedDeliverySource: DeliverySource {
    /// Deliveries the broker has ready, oldest first.
    public var waiting: [Delivery] = []
    /// Tags acknowledged, with `multiple` acks expanded to every delivery they cover.
    public private(set) var acknowledged: [UInt64] = []
    /// The acks as sent: tag and `multiple`.
    public private(set) var acks: [(tag: UInt64, multiple: Bool)] = []
    public private(set) var requeued: [UInt64] = []
    /// Tags handed out and not yet acknowledged or requeued.
    public private(set) var unsettled: [UInt64] = []
    /// Reported by the next `nextDeliveries`.
    public var cancelled = false
    /// Thrown by the next call that talks to the broker (the connection died).
    public var failure: MessagingError?
    public private(set) var subscriptionCancelled = false
    public private(set) var closed = false

    public init() {}

    /// Makes `count` hellos waiting, with ids `prefix-1`, `prefix-2` … and tags following the
    /// last one handed out or waiting.
    public func enqueueHellos(_ count: Int, idPrefix prefix: String, replyTo: String? = nil) {
        for _ in 0..<count {
            let tag = (waiting.last?.tag ?? unsettled.max() ?? acknowledged.max() ?? 0) + 1
            let message = Message(messageID: MessageID("\(prefix)-\(tag)"), replyTo: replyTo, type: "hello")
            waiting.append(Delivery(tag: tag, redelivered: false, message: message))
        }
    }

    public func nextDeliveries(limit: Int, waitMilliseconds: Int) throws(MessagingError) -> (deliveries: [Delivery], cancelled: Bool) {
        try failIfAsked()
        let taken = Array(waiting.prefix(limit))
        waiting.removeFirst(taken.count)
        unsettled += taken.map(\.tag)
        return (taken, cancelled)
    }

    public func ack(_ tag: UInt64, multiple: Bool) throws(MessagingError) {
        try failIfAsked()
        acks.append((tag, multiple))
        let covered = multiple ? unsettled.filter { $0 <= tag } : unsettled.filter { $0 == tag }
        precondition(!covered.isEmpty, "ack of \(tag) covers no unsettled delivery: the broker would close the channel")
        acknowledged += covered
        unsettled.removeAll { covered.contains($0) }
    }

    public func requeue(_ tag: UInt64) throws(MessagingError) {
        try failIfAsked()
        precondition(unsettled.contains(tag), "requeue of \(tag), which is not unsettled")
        requeued.append(tag)
        unsettled.removeAll { $0 == tag }
    }

    public func waitForInput(alsoFrom channel: PublishChannel, alsoOn descriptor: Int32?, timeoutMilliseconds: Int) {}

    /// What `readyMessages` answers: queues not named here are unknown to the broker.
    public var readyCounts: [String: Int] = [:]

    public func readyMessages(in queues: [String]) throws(MessagingError) -> [String: Int] {
        try failIfAsked()
        return readyCounts.filter { queues.contains($0.key) }
    }

    public func cancel() {
        subscriptionCancelled = true
    }

    public func close() {
        closed = true
    }

    private func failIfAsked() throws(MessagingError) {
        if let failure {
            self.failure = nil
            throw failure
        }
    }
}
