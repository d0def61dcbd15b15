import Counters
import Messaging

/// Why a hello was set aside, and the copy of it that goes to the dead-letter queue.
///
/// The copy keeps the hello's properties and headers and adds `x-biggoal-*` headers saying
/// why. It has no body: the consumer never reads bodies (a publisher could send 128 MiB),
/// and `x-biggoal-body-bytes` says how long the original's was.
struct DeadLetter {
    enum Reason: String {
        /// Its body is longer than `amqp.maxMessageBytes`.
        case tooLarge = "too_large"
        /// The requester's queue refused its reply `amqp.maxAttempts` times.
        case replyRefused = "reply_refused"
        /// Its reply cannot be encoded in AMQP.
        case replyUnsendable = "reply_unsendable"
        /// The broker closed the channel on its reply (a `reply_to` it rejects).
        case replyClosedChannel = "reply_closed_channel"
    }

    var reason: Reason
    /// The particulars, e.g. the broker's words.
    var detail: String
    var attempts: FailedAttempts?
    /// The queue the hello came from.
    var queue: String

    func message(for delivery: Delivery, now: UInt64) -> Message {
        var copy = delivery.message
        copy.body = []
        copy.persistent = true
        copy.headers.removeAll { $0.name.hasPrefix("x-biggoal-") }
        copy.headers += [
            ("x-biggoal-reason", .string(reason.rawValue)),
            ("x-biggoal-detail", .string(String(detail.prefix(1000)))),
            ("x-biggoal-queue", .string(queue)),
            ("x-biggoal-body-bytes", .integer(Int64(clamping: delivery.bodySize))),
            ("x-biggoal-attempts", .integer(Int64(attempts?.count ?? 1))),
            ("x-biggoal-first-failure", .timestamp(attempts?.firstFailure ?? now)),
            ("x-biggoal-last-failure", .timestamp(attempts?.lastFailure ?? now)),
        ]
        return copy
    }
}
