import Messaging
import Resilience

/// The limits, names and waits the consumer's pipeline works with.
public struct ConsumerRules: Sendable {
    /// Deliveries in hand at most (`amqp.prefetch`).
    public var prefetch: Int
    /// Refusals of a hello's reply before it is dead-lettered (`amqp.maxAttempts`).
    public var maxAttempts: Int
    /// Where hellos that cannot be answered go; nil drops (acknowledges) them instead.
    public var deadLetterQueue: String?
    /// Hellos with longer bodies are dead-lettered unread (`amqp.maxMessageBytes`).
    public var maxMessageBytes: Int
    /// The inbound queue, named in dead-letter copies.
    public var queue: String
    /// How hellos are answered.
    public var policy: ReplyPolicy
    /// Counting's pause after Redis fails, growing while it keeps failing.
    public var redisBackoff: Backoff
    /// The wait before a refused reply is tried again, for that message alone.
    public var refusedReplyBackoff = Backoff(initial: .milliseconds(250), maximum: .seconds(10), jitter: false)
    /// The wait before retrying what failed for a reason that is not the message's (a reply
    /// exchange that routes nowhere, a dead-letter queue that refused).
    public var retryDelay: Duration = .seconds(1)

    public init(prefetch: Int, maxAttempts: Int, deadLetterQueue: String?, maxMessageBytes: Int, queue: String, policy: ReplyPolicy,
                redisBackoff: Backoff) {
        self.prefetch = prefetch
        self.maxAttempts = maxAttempts
        self.deadLetterQueue = deadLetterQueue
        self.maxMessageBytes = maxMessageBytes
        self.queue = queue
        self.policy = policy
        self.redisBackoff = redisBackoff
    }
}
