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
/// answered. Deliveries are acknowledged once their confirms are in, oldest batch first, so
/// a `multiple` ack never covers a delivery still in flight.
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
        case receivedCount(Starting)
        case tickets(Publishing)
        case failedAttempts(Settling)
        case sentCount(Settling)
        case probe
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
    private(set) var now: Moment
    private var outbox: [ConsumerAction] = []
    var awaiting = Awaiting.nothing
    private var stopping = false
    private var blockedReason: String?

    /// Deliveries taken from the broker but not yet started (while Redis is down, the
    /// broker blocks publishing, or a refused reply is being isolated).
    private var held: [Delivery] = []
    /// Batches whose messages are with the broker, oldest first, waiting for confirms.
    private var inFlight: [ConsumerBatch] = []
    /// Outcomes the producer reported, by ticket, until their batch is settled.
    private var outcomes: [UInt64: ConfirmTracker.Outcome] = [:]
    /// Publishes to make again once due: refused or unroutable replies, dead-letter copies.
    private var retries: [ConsumerJob] = []
    /// Publishes left without word by a channel the broker closed, to send one at a time.
    private var isolation: [ConsumerJob] = []
    /// The one isolated publish with the broker, and its ticket.
    private var isolated: (job: ConsumerJob, ticket: UInt64)?
    /// Ids being answered (in a batch, a retry or isolation): a second hello with one of
    /// them is a duplicate, whatever Redis says yet.
    private var idsInProgress: Set<MessageID> = []
    /// Failed attempts of hellos without an id, which Redis cannot key (this session only).
    private var localAttempts: [UInt64: Int] = [:]
    /// Reply destinations the broker dropped a connection over.
    private let poisoned: Set<String>
    var redis = RedisTrouble()
    /// Deliveries settled in this session.
    var settledCount = 0

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

    /// Whether every publish made has been settled.
    var isSettled: Bool { inFlight.isEmpty && isolated == nil }

    /// How many deliveries the broker may send now without passing the prefetch limit (at
    /// least one, so that asking also services the connection).
    var room: Int { max(1, rules.prefetch - unsettledCount) }

    /// Deliveries taken and not yet acknowledged or handed back.
    var unsettledCount: Int {
        held.count + inFlight.reduce(0) { $0 + $1.deliveries.count } + retries.count + isolation.count + (isolated == nil ? 0 : 1)
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

    private mutating func takeOutcomes(of tickets: [UInt64]) -> [ConfirmTracker.Outcome]? {
        guard tickets.allSatisfy({ outcomes[$0] != nil }) else { return nil }
        return tickets.map { outcomes.removeValue(forKey: $0)! }
    }

    // MARK: Starting a batch

    /// Sorts what is held — not hellos, too large, duplicates, hellos to count — and asks
    /// for the hellos to be counted in one Redis call; their replies are then published with
    /// the retries now due.
    mutating func startBatch() {
        let due = retries.filter { $0.dueAt <= now.instant }
        retries.removeAll { $0.dueAt <= now.instant }
        var starting = Starting(deliveries: held, due: due, jobs: due, startedAt: now.instant)
        held = []
        var idsInBatch: Set<MessageID> = []
        var ignored = 0, duplicates = 0
        for delivery in starting.deliveries {
            guard Hello.isHello(delivery.message) else {
                ignored += 1
                starting.settled.append(delivery.tag)
                continue
            }
            if delivery.bodySize > UInt64(rules.maxMessageBytes) {
                emit(.fault(ConsumerFault(kind: "too_large", level: .warning, message: "hello larger than amqp.maxMessageBytes; dead-lettered unread",
                                          metadata: ["bytes": "\(delivery.bodySize)", "limit": "\(rules.maxMessageBytes)"])))
                if rules.deadLetterQueue == nil {
                    emit(.count(.deadLettered, 1))
                    starting.settled.append(delivery.tag)
                } else {
                    starting.jobs.append(deadLetterJob(delivery, reason: .tooLarge, detail: "body of \(delivery.bodySize) bytes", attempts: nil))
                }
                continue
            }
            if let id = Hello.countingID(of: delivery.message), idsInProgress.contains(id) || !idsInBatch.insert(id).inserted {
                duplicates += 1
                starting.settled.append(delivery.tag)
                continue
            }
            starting.toCount.append(delivery)
        }
        if ignored > 0 { emit(.count(.ignored, ignored)) }
        if duplicates > 0 { emit(.count(.duplicate, duplicates)) }
        if starting.toCount.isEmpty {
            publish(starting)
        } else {
            ask(.countReceived(starting.toCount.map { Hello.countingID(of: $0.message) }), awaiting: .receivedCount(starting))
        }
    }

    /// Redis's answer to `.countReceived`.
    mutating func receivedCounted(_ result: Result<[ReceivedHello], CounterStoreError>) {
        guard case .receivedCount(var starting) = awaiting else { preconditionFailure("no count was asked for") }
        awaiting = .nothing
        let statuses: [ReceivedHello]
        switch result {
        case .success(let counted):
            statuses = counted
            redisCounted()
        case .failure(let error):
            // Nothing was counted (the store is all or nothing): hold these until Redis is
            // back, and start the rest.
            pauseForRedis(error)
            held = starting.toCount + held
            statuses = []
        }
        for (hello, status) in zip(starting.toCount, statuses) {
            emit(.count(status.isFirstDelivery ? .hello : .duplicate, 1))
            if status.isAlreadyAnswered {
                starting.settled.append(hello.tag)
                continue
            }
            let reply = rules.policy.reply(to: hello.message, now: now.epochSeconds)
            if let refused = reply.refusedReplyTo {
                emit(.fault(ConsumerFault(kind: "reply_to_refused", level: .warning,
                                          message: "a hello's reply_to names a refused queue; replying to the reply exchange",
                                          metadata: ["replyTo": "\(refused)"])))
            }
            var job = ConsumerJob(delivery: hello, outgoing: .reply(reply), startedAt: starting.startedAt)
            if reply.isToRequester, poisoned.contains(reply.destination.routingKey) {
                job = deadLetterJob(hello, reason: .replyClosedChannel,
                                    detail: "the broker dropped the connection over a reply to this reply_to", attempts: nil)
            } else if reply.isToRequester, reply.destination.routingKey.hasPrefix(Self.directReplyToPrefix) {
                // Direct reply-to names are decoded by the broker, and a malformed one takes
                // the whole connection down: such replies go alone, so the one that does is
                // known.
                if let id = job.countingID { idsInProgress.insert(id) }
                job.toIsolate = true
                keep(job)
                continue
            }
            if case .deadLetter = job.outgoing, rules.deadLetterQueue == nil {
                emit(.count(.deadLettered, 1))
                starting.settled.append(hello.tag)
                forget(hello)
                continue
            }
            starting.jobs.append(job)
        }
        publish(starting)
    }

    /// Publishes the jobs of `starting`, or puts it in flight at once when it has none.
    private mutating func publish(_ starting: Starting) {
        for job in starting.jobs {
            if let id = job.countingID { idsInProgress.insert(id) }
        }
        if starting.jobs.isEmpty {
            putInFlight(starting, tickets: [])
        } else {
            ask(.publish(starting.jobs.map { ($0.message, $0.destination) }), awaiting: .tickets(.batch(starting)))
        }
    }

    /// The producer's tickets for the last `.publish`, in its order.
    mutating func published(tickets: [UInt64]) {
        guard case .tickets(let publishing) = awaiting else { preconditionFailure("no publish was asked for") }
        awaiting = .nothing
        switch publishing {
        case .batch(let starting):
            putInFlight(starting, tickets: tickets)
        case .isolated(let job):
            isolated = (job, tickets[0])
        }
    }

    private mutating func putInFlight(_ starting: Starting, tickets: [UInt64]) {
        let setAside = Set(held.map(\.tag) + isolation.map(\.delivery.tag) + retries.map(\.delivery.tag))
        inFlight.append(ConsumerBatch(deliveries: starting.deliveries.filter { !setAside.contains($0.tag) } + starting.due.map(\.delivery),
                                      settled: starting.settled, jobs: starting.jobs, tickets: tickets, startedAt: starting.startedAt))
    }

    /// Sends the next isolated publish once every batch has settled, so it is alone with the
    /// broker: if the channel closes now, this one is the cause. Returns whether it sent.
    private mutating func isolateNext() -> Bool {
        guard inFlight.isEmpty, isolated == nil, !isolation.isEmpty else { return false }
        var job = isolation.removeFirst()
        job.toIsolate = false
        ask(.publish([(job.message, job.destination)]), awaiting: .tickets(.isolated(job)))
        return true
    }

    // MARK: Keeping and forgetting

    func deadLetterJob(_ delivery: Delivery, reason: DeadLetter.Reason, detail: String, attempts: FailedAttempts?) -> ConsumerJob {
        let copy = DeadLetter(reason: reason, detail: detail, attempts: attempts, queue: rules.queue)
            .message(for: delivery, now: now.epochSeconds)
        return ConsumerJob(delivery: delivery, outgoing: .deadLetter(copy, reason), deadLetterQueue: rules.deadLetterQueue,
                           startedAt: now.instant)
    }

    /// Keeps a job for later: to isolate, or to retry once due. A dead-letter job with no
    /// dead-letter queue is dropped at once: acknowledged and counted as dead-lettered.
    mutating func keep(_ job: ConsumerJob) {
        if case .deadLetter(_, let reason) = job.outgoing, rules.deadLetterQueue == nil {
            emit(.count(.deadLettered, 1))
            emit(.fault(ConsumerFault(kind: "dropped", level: .warning, message: "hello dropped (amqp.deadLetterQueue is empty)",
                                      metadata: ["reason": "\(reason.rawValue)"])))
            emit(.ack(job.delivery.tag, multiple: false))
            settledCount += 1
            forget(job.delivery)
            return
        }
        if job.toIsolate {
            isolation.append(job)
        } else {
            retries.append(job)
        }
    }

    mutating func forget(_ delivery: Delivery) {
        if let id = Hello.countingID(of: delivery.message) { idsInProgress.remove(id) }
        localAttempts[delivery.tag] = nil
    }

    // MARK: Acknowledging

    /// Acknowledges `tags` of `batch`: one `multiple` ack when they are the whole batch and
    /// no older delivery is still unsettled, else one by one.
    mutating func acknowledge(_ tags: [UInt64], of batch: ConsumerBatch) {
        settledCount += tags.count
        guard let last = tags.max() else { return }
        if tags.count == batch.deliveries.count, !hasUnsettledDelivery(olderThan: last) {
            emit(.ack(last, multiple: true))
            return
        }
        for tag in tags { emit(.ack(tag, multiple: false)) }
    }

    /// Whether any delivery not yet settled — held, in a batch, waiting to retry or being
    /// isolated — has a tag below `tag`, so that a `multiple` ack up to `tag` would cover it.
    private func hasUnsettledDelivery(olderThan tag: UInt64) -> Bool {
        held.contains { $0.tag < tag }
            || inFlight.contains { $0.deliveries.contains { $0.tag < tag } }
            || retries.contains { $0.delivery.tag < tag }
            || isolation.contains { $0.delivery.tag < tag }
            || (isolated.map { $0.job.delivery.tag < tag } ?? false)
    }

    // MARK: Failed attempts without Redis

    /// Counts a failed attempt for a hello without an id, which Redis cannot key.
    mutating func localAttempt(of job: ConsumerJob) -> FailedAttempts {
        let count = (localAttempts[job.delivery.tag] ?? 0) + 1
        localAttempts[job.delivery.tag] = count
        return FailedAttempts(count: count, firstFailure: now.epochSeconds, lastFailure: now.epochSeconds)
    }

    /// The next step for a hello whose reply was refused `attempts.count` times: another try
    /// after its own back-off, or the dead-letter queue once `amqp.maxAttempts` is reached.
    mutating func afterFailedAttempt(_ job: ConsumerJob, _ reason: DeadLetter.Reason, _ detail: String, _ attempts: FailedAttempts) {
        if attempts.count >= rules.maxAttempts {
            localAttempts[job.delivery.tag] = nil
            keep(deadLetterJob(job.delivery, reason: reason, detail: detail, attempts: attempts))
        } else {
            keep(job.retried(at: now.instant + rules.refusedReplyBackoff.delay(afterFailures: attempts.count)))
        }
    }

    /// `job` to be tried again after `retryDelay`.
    func retriedLater(_ job: ConsumerJob) -> ConsumerJob {
        job.retried(at: now.instant + rules.retryDelay)
    }
}
