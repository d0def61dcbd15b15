import Counters
import Logging
import Messaging
import Producer
import Resilience

/// The consumer's work on one session's deliveries, as a state machine: deliveries, publish
/// outcomes and Redis's answers go in; actions come out — count these ids, publish these
/// messages, acknowledge that tag, report this. It performs no I/O and reads no clock, so
/// every ordering of confirms, returns, nacks, Redis failures and stops is unit-tested;
/// `ConsumerSession` performs its actions.
///
/// Batches overlap: while the broker confirms one batch's replies, the next is counted and
/// answered; and while Redis counts one batch, the others go on with the broker (Redis's
/// answers come in the order asked, so they are matched to what asked them by order).
/// Deliveries are acknowledged once their confirms are in and their replies counted, and a
/// `multiple` ack never covers a delivery that is not.
///
/// Exactly once per message id: the received count and the "already answered" check are one
/// atomic Redis step, a hello whose reply was confirmed before is acknowledged without a
/// second reply, and a reply sent again (after a crash between publish and confirm) carries
/// the same `message_id` as the first, derived from the hello's.
///
/// No message stops or slows the others. Each delivery of a batch is settled on its own: a
/// reply the broker refuses, returns or cannot take is retried for that message alone (after
/// a back-off of its own, while the rest flows), and a hello that cannot be answered goes to
/// the dead-letter queue with the reason. When the broker closes the publishing channel
/// because of one reply, the replies it left unconfirmed are sent again one at a time, so
/// the one it refuses is found and set aside before the rest go on.
struct ConsumerPipeline {
    /// The time, as the pipeline needs it: a monotonic instant for waits, and wall-clock
    /// seconds since the Unix epoch for timestamps in messages and Redis.
    struct Moment {
        var instant: ContinuousClock.Instant
        var epochSeconds: UInt64
    }

    /// What the pipeline waits to be told before it can go on.
    enum Awaiting {
        case nothing
        case tickets(Publishing)
    }

    /// What a request to Redis was for, to be taken up again when its answer comes.
    enum RedisQuestion {
        /// A batch's hellos are being counted as received.
        case received(Starting)
        /// A batch's refused attempts are being recorded.
        case failedAttempts(Settling)
        /// A batch's replies are being counted as sent.
        case sent(Settling)
        /// Whether Redis answers again.
        case probe

        /// How many deliveries wait on this answer, none of them settled yet.
        var deliveryCount: Int {
            switch self {
            case .received(let starting): starting.deliveries.count + starting.due.count
            case .failedAttempts(let settling), .sent(let settling): settling.batch.deliveries.count
            case .probe: 0
            }
        }

        /// Whether a delivery waiting on this answer has a tag below `tag`.
        func holdsDelivery(below tag: UInt64) -> Bool {
            switch self {
            case .received(let starting):
                starting.deliveries.contains { $0.tag < tag } || starting.due.contains { $0.delivery.tag < tag }
            case .failedAttempts(let settling), .sent(let settling):
                settling.batch.deliveries.contains { $0.tag < tag }
            case .probe:
                false
            }
        }
    }

    /// A batch being started: sorted, and waiting for its count or its tickets.
    struct Starting {
        var deliveries: [Delivery]
        var due: [ConsumerJob]
        var settled: [UInt64] = []
        var jobs: [ConsumerJob]
        var toCount: [Delivery] = []
        var startedAt: ContinuousClock.Instant
    }

    enum Publishing {
        case batch(Starting)
        case isolated(ConsumerJob)
    }

    /// A batch whose outcomes are in, on its way to being acknowledged.
    struct Settling {
        var batch: ConsumerBatch
        var done: [UInt64]
        var answered: [Delivery] = []
        /// Replies refused by a requester's queue, whose attempts Redis is recording.
        var refused: [(job: ConsumerJob, reason: DeadLetter.Reason, detail: String)] = []
    }

    let rules: ConsumerRules
    // The state below is internal rather than private only so that the extensions in the
    // other ConsumerPipeline files reach it; nothing outside the pipeline touches it.
    private(set) var now: Moment
    private var outbox: [ConsumerAction] = []
    var awaiting = Awaiting.nothing
    /// The requests to Redis not yet answered, or answered and not yet taken up, oldest
    /// first.
    var asked: [RedisQuestion] = []
    /// Redis's answers to the first of `asked`, in order, until the pipeline takes them up.
    private var answers: [CountAnswer] = []
    private var stopping = false
    private var blockedReason: String?

    /// Deliveries taken from the broker but not yet started (while Redis is down, the
    /// broker blocks publishing, or a refused reply is being isolated).
    var held: [Delivery] = []
    /// Batches whose messages are with the broker, oldest first, waiting for confirms.
    var inFlight: [ConsumerBatch] = []
    /// Outcomes the producer reported, by ticket, until their batch is settled.
    private var outcomes: [UInt64: ConfirmTracker.Outcome] = [:]
    /// Publishes to make again once due: refused or unroutable replies, dead-letter copies.
    var retries: [ConsumerJob] = []
    /// Publishes left without word by a channel the broker closed, to send one at a time.
    var isolation: [ConsumerJob] = []
    /// The one isolated publish with the broker, and its ticket.
    var isolated: (job: ConsumerJob, ticket: UInt64)?
    /// Ids being answered (in a batch, a retry or isolation): a second hello with one of
    /// them is a duplicate, whatever Redis says yet.
    var idsInProgress: Set<MessageID> = []
    /// Failed attempts of hellos without an id, which Redis cannot key (this session only).
    var localAttempts: [UInt64: Int] = [:]
    /// Reply destinations the broker dropped a connection over.
    let poisoned: Set<String>
    var redis = RedisTrouble()
    /// Deliveries settled in this session.
    var settledCount = 0
    /// Since when the broker has refused every reply on the configured route, if it does.
    var refusingRepliesSince: ContinuousClock.Instant?
    /// How long every reply may be refused before the connection is replaced.
    static let refusalsBeforeRenewal = Producer.refusalsBeforeRenewal

    /// RabbitMQ's direct reply-to pseudo-queue names.
    static let directReplyToPrefix = "amq.rabbitmq.reply-to."

    init(rules: ConsumerRules, poisoned: Set<String>, now: Moment) {
        self.rules = rules
        self.poisoned = poisoned
        self.now = now
    }

    // MARK: What goes in

    /// Takes deliveries from the broker.
    mutating func received(_ deliveries: [Delivery]) {
        held += deliveries
    }

    /// Takes the outcomes the producer learned, by ticket.
    mutating func learned(_ outcomes: [UInt64: ConfirmTracker.Outcome]) {
        self.outcomes.merge(outcomes) { _, new in new }
    }

    /// The broker blocked publishing (`reason`) or lifted the block (nil). While blocked,
    /// deliveries are held unacknowledged and nothing new is published.
    mutating func brokerBlocked(_ reason: String?) {
        guard reason != blockedReason else { return }
        blockedReason = reason
        if let reason {
            emit(.log(.warning, "broker blocked publishing; holding deliveries", ["reason": "\(reason)"]))
            emit(.setProblem("broker: publishing blocked (\(reason))"))
        } else {
            emit(.log(.info, "broker unblocked publishing; resuming", [:]))
            emit(.setProblem(nil))
        }
    }

    /// Takes no more work: from now on only batches whose replies are already out are
    /// settled, so they are not answered twice. What is held or waiting to retry goes back
    /// to the queue when the session closes.
    mutating func stop() {
        stopping = true
    }

    /// Whether publishes wait to be retried (so time alone can make work).
    var hasRetries: Bool { !retries.isEmpty }

    /// Whether every publish made has been settled, and Redis has answered every request.
    var isSettled: Bool { inFlight.isEmpty && isolated == nil && asked.isEmpty }

    /// How many deliveries the broker may send now without passing the prefetch limit (at
    /// least one, so that asking also services the connection).
    var room: Int { max(1, rules.prefetch - unsettledCount) }

    /// Deliveries taken and not yet acknowledged or handed back.
    var unsettledCount: Int {
        held.count + inFlight.reduce(0) { $0 + $1.deliveries.count } + asked.reduce(0) { $0 + $1.deliveryCount }
            + retries.count + isolation.count + (isolated == nil ? 0 : 1)
    }

    /// The connection died: the requester destination of a reply that was with the broker
    /// alone, if any. RabbitMQ 3.10 drops the whole connection (541 INTERNAL_ERROR) over a
    /// malformed direct reply-to name, so that destination is the cause.
    var destinationToPoison: String? {
        guard let (job, _) = isolated, case .reply(let reply) = job.outgoing, reply.isToRequester else { return nil }
        return reply.destination.routingKey
    }

    // MARK: What comes out

    /// The next action, or nil when nothing can move until more goes in (or time passes).
    /// After a question (see `ConsumerAction`) the answer must be given first.
    mutating func nextAction(at now: Moment) -> ConsumerAction? {
        self.now = now
        while outbox.isEmpty, case .nothing = awaiting, plan() {}
        return outbox.isEmpty ? nil : outbox.removeFirst()
    }

    /// Starts the next piece of work; returns whether there was one.
    private mutating func plan() -> Bool {
        if !answers.isEmpty {
            takeUpAnswer()
            return true
        }
        if let batch = inFlight.first, let outcomes = takeOutcomes(of: batch.tickets) {
            inFlight.removeFirst()
            beginSettling(batch, outcomes: outcomes)
            return true
        }
        if let (job, ticket) = isolated, let outcomes = takeOutcomes(of: [ticket]) {
            isolated = nil
            var onlyThis = job
            onlyThis.isolated = true
            beginSettling(ConsumerBatch(deliveries: [job.delivery], settled: [], jobs: [onlyThis], tickets: [ticket],
                                        startedAt: job.startedAt),
                          outcomes: outcomes)
            return true
        }
        if stopping || blockedReason != nil { return false }
        if !isolation.isEmpty || isolated != nil { return isolateNext() }
        if held.isEmpty, !retries.contains(where: { $0.dueAt <= now.instant }) { return false }
        switch redisReadiness() {
        case .ready:
            startBatch()
            return true
        case .probing:
            return true
        case .waiting:
            return false
        }
    }

    mutating func emit(_ action: ConsumerAction) {
        outbox.append(action)
    }

    mutating func ask(_ question: ConsumerAction, awaiting: Awaiting) {
        outbox.append(question)
        self.awaiting = awaiting
    }

    /// Sends `request` to Redis; its answer, in its turn, takes up `question`.
    mutating func askRedis(_ request: CountRequest, for question: RedisQuestion) {
        outbox.append(.askRedis(request))
        asked.append(question)
    }

    /// Takes Redis's answer to the oldest request not yet answered. It is taken up by the
    /// next `nextAction`, so answers may come at any time, a publish's tickets still due.
    mutating func redisAnswered(_ answer: CountAnswer) {
        guard answers.count < asked.count else { preconditionFailure("an answer from Redis to nothing asked") }
        answers.append(answer)
    }

    /// Takes up the oldest answer from Redis.
    private mutating func takeUpAnswer() {
        switch (asked.removeFirst(), answers.removeFirst()) {
        case (.received(let starting), .received(let result)):
            receivedCounted(starting, result)
        case (.failedAttempts(let settling), .failedAttempts(let results)):
            attemptsRecorded(settling, results)
        case (.sent(let settling), .sent(let result)):
            sentCounted(settling, result)
        case (.probe, .probe(let result)):
            redisProbed(result)
        default:
            preconditionFailure("an answer from Redis of another kind than asked")
        }
    }

    private mutating func takeOutcomes(of tickets: [UInt64]) -> [ConfirmTracker.Outcome]? {
        guard tickets.allSatisfy({ outcomes[$0] != nil }) else { return nil }
        return tickets.map { outcomes.removeValue(forKey: $0)! }
    }
}
