import Messaging

/// One publish for one delivery: its reply, or its dead-letter copy.
struct ConsumerJob {
    enum Outgoing {
        case reply(ReplyPolicy.Reply)
        case deadLetter(Message, DeadLetter.Reason)
    }

    let delivery: Delivery
    let outgoing: Outgoing
    var deadLetterQueue: String?
    /// When the delivery was taken into a batch.
    let startedAt: ContinuousClock.Instant
    /// When a retry may be published.
    var dueAt: ContinuousClock.Instant
    /// Lost on a closed channel: to be sent again alone.
    var toIsolate = false
    /// Sent alone: a channel closed now was closed because of it.
    var isolated = false

    init(delivery: Delivery, outgoing: Outgoing, deadLetterQueue: String? = nil, startedAt: ContinuousClock.Instant) {
        self.delivery = delivery
        self.outgoing = outgoing
        self.deadLetterQueue = deadLetterQueue
        self.startedAt = startedAt
        dueAt = startedAt
    }

    var message: Message {
        switch outgoing {
        case .reply(let reply): reply.message
        case .deadLetter(let copy, _): copy
        }
    }

    var destination: Destination {
        switch outgoing {
        case .reply(let reply): reply.destination
        case .deadLetter: .queue(deadLetterQueue ?? "")
        }
    }

    /// The id the hello is counted under, if it has one.
    var countingID: MessageID? { Hello.countingID(of: delivery.message) }

    func retried(at dueAt: ContinuousClock.Instant) -> ConsumerJob {
        var next = self
        next.dueAt = dueAt
        next.toIsolate = false
        next.isolated = false
        return next
    }
}
