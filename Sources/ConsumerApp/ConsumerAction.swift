import Counters
import Logging
import Messaging

/// What `ConsumerPipeline` asks its driver to do.
///
/// `publish` is a question: the driver performs it and hands the tickets back (`published`)
/// before it asks for the next action. `askRedis` is sent at once and answered later
/// (`redisAnswered`), in the order asked, while the driver goes on. The rest are done and
/// forgotten.
enum ConsumerAction {
    /// Send this request to the counter store (`BatchCounterStore.send`).
    case askRedis(CountRequest)
    /// Publish these, in order, and hand back their tickets (`Producer.send`).
    case publish([(message: Message, destination: Destination)])

    /// Acknowledge a delivery (and with `multiple`, every earlier one).
    case ack(UInt64, multiple: Bool)
    /// Hand a delivery back to the queue.
    case requeue(UInt64)

    case count(ConsumerMetrics.DeliveryOutcome, Int)
    case countReply(ConsumerMetrics.ReplyOutcome)
    /// `count` deliveries were settled; they were taken at `since`.
    case processed(Int, since: ContinuousClock.Instant)
    /// A fault that can repeat once per message: for the rate-limited `FaultLog`.
    case fault(ConsumerFault)
    /// A line for the log, said once per change of state.
    case log(Logger.Level, Logger.Message, Logger.Metadata)
    /// What stops the work now, or nil (`ConsumerHealth.set`).
    case setProblem(String?)
    /// What goes wrong for some messages lately (`ConsumerHealth.degrade`).
    case degrade(String)
    /// The publishing channel has gone bad without being closed: end the session, so the
    /// consumer connects anew (what it holds goes back to the queue; the dedupe marks keep
    /// the counts exact).
    case renewConnection(reason: String)
}

/// One fault, by kind: `FaultLog` logs a kind at most once per interval.
struct ConsumerFault {
    var kind: String
    var level: Logger.Level
    var message: Logger.Message
    var metadata: Logger.Metadata = [:]
}
