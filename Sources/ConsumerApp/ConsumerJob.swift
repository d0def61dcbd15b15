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
    var dueAt = ContinuousClock.now
    let startedAt = ContinuousClock.now
    /// Lost on a closed channel: to be sent again alone.
    var toIsolate = false
    /// Sent alone: a channel closed now was closed because of it.
    var isolated = false

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

    func retried(after delay: Duration) -> ConsumerJob {
        var next = self
        next.dueAt = .now + delay
        next.toIsolate = false
        next.isolated = false
        return next
    }
}
