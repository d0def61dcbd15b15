import AMQPMessaging
import Counters
import Foundation
import Logging
import Messaging
import Producer
import Settings

/// One connected stretch of the consumer: a delivery source and a producer on the broker,
/// the counter store, and the loop that handles batches until the connection fails or a
/// stop is requested. A new session after a reconnect starts with no delivery tags.
///
/// No message stops or slows the others. Each delivery of a batch is settled on its own:
/// a reply the broker refuses, returns or cannot take is retried for that message alone
/// (after a back-off of its own, while the rest flows), and a hello that cannot be answered
/// goes to the dead-letter queue with the reason. When the broker closes the publishing
/// channel because of one reply, the replies it left unconfirmed are sent again one at a
/// time, so the one it refuses is found and set aside before the rest go on.
final class ConsumerSession {
    /// The limits and names a session works with.
    struct Rules {
        var prefetch: Int
        var maxAttempts: Int
        /// Nil: hellos that cannot be answered are dropped (acknowledged) instead.
        var deadLetterQueue: String?
        var maxMessageBytes: Int
        var queue: String
    }

    private let source: AMQPDeliverySource
    private let publishChannel: AMQPPublishChannel
    private let producer: Producer
    private let counter: BatchCounterStore
    private let policy: ReplyPolicy
    private let rules: Rules
    private let logger: Logger
    private let faults: FaultLog
    private let metrics: ConsumerMetrics
    private let health: ConsumerHealth

    /// Deliveries taken from the broker but not yet started (while Redis is down, the
    /// broker blocks publishing, or a refused reply is being isolated).
    private var held: [Delivery] = []
    /// Batches whose messages are with the broker, oldest first, waiting for confirms.
    private var inFlight: [ConsumerBatch] = []
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
    private var redis = RedisState()
    private var lastFlush = ContinuousClock.now
    /// Reply destinations the broker dropped the whole connection over, kept across sessions.
    private let poisoned: PoisonedDestinations

    init(settings: ConsumerSettings, counter: BatchCounterStore, metrics: ConsumerMetrics, health: ConsumerHealth,
         faults: FaultLog, poisoned: PoisonedDestinations, logger: Logger) throws(MessagingError) {
        self.poisoned = poisoned
        self.metrics = metrics
        self.health = health
        self.faults = faults
        let endpoint = AMQPEndpoint(settings)
        let deadLetterQueue = settings.amqp.deadLetterQueue.isEmpty ? nil : settings.amqp.deadLetterQueue
        let topology = AMQPDeliverySource.Topology(
            queue: settings.amqp.queue, prefetch: settings.amqp.prefetch, declare: settings.amqp.declare,
            replyExchange: settings.amqp.replyExchange, replyRoutingKey: settings.amqp.replyRoutingKey,
            replyQueue: settings.amqp.replyQueue, deadLetterQueue: deadLetterQueue
        )
        source = try AMQPDeliverySource(endpoint: endpoint, topology: topology)
        do {
            publishChannel = try AMQPPublishChannel(endpoint: endpoint)
        } catch {
            source.close()
            throw error
        }
        producer = Producer(channel: publishChannel)
        publishChannel.onBlockedChange = { [logger, health] reason in
            if let reason {
                logger.warning("broker blocked publishing; holding deliveries", metadata: ["reason": "\(reason)"])
                health.set("broker: publishing blocked (\(reason))")
            } else {
                logger.info("broker unblocked publishing; resuming")
                health.set(nil)
            }
        }
        self.counter = counter
        self.logger = logger
        rules = Rules(prefetch: settings.amqp.prefetch, maxAttempts: settings.amqp.maxAttempts, deadLetterQueue: deadLetterQueue,
                      maxMessageBytes: settings.amqp.maxMessageBytes, queue: settings.amqp.queue)
        policy = ReplyPolicy(
            serviceName: settings.serviceName, body: settings.amqp.replyBody,
            destination: Destination(exchange: settings.amqp.replyExchange, routingKey: settings.amqp.replyRoutingKey),
            refusedReplyTo: Set(settings.amqp.refusedReplyTo + [settings.amqp.queue])
        )
    }

    /// Handles batches until `shouldStop` says so (then finishes the batches whose replies are
    /// out, closes cleanly and returns) or the broker connection fails (then throws).
    ///
    /// Batches overlap: while the broker confirms one batch's replies, the next is counted
    /// and answered. Deliveries are acknowledged once their confirms are in, oldest batch
    /// first, so a `multiple` ack never covers a delivery still in flight.
    func serve(until shouldStop: () -> Bool) throws(MessagingError) {
        defer {
            source.close()
            publishChannel.close()
        }
        do {
            while !shouldStop() {
                if try !step() {
                    // Nothing moved: sleep until the broker says something on either
                    // connection, or the next retry is due.
                    source.waitForInput(alsoFrom: publishChannel, timeoutMilliseconds: retries.isEmpty ? 200 : 20)
                }
            }
        } catch {
            // The connection died while one reply was with the broker alone: RabbitMQ 3.10
            // drops the whole connection (541 INTERNAL_ERROR) over a malformed direct
            // reply-to name. Remember the destination, so the redelivered hello is
            // dead-lettered instead of taking the next connection down too.
            if let (job, _) = isolated, case .reply(let reply) = job.outgoing, reply.isToRequester {
                poisoned.insert(reply.destination.routingKey)
                logger.warning("the broker dropped the connection over a reply; hellos asking for replies there will be dead-lettered",
                               metadata: ["replyTo": "\(reply.destination.routingKey)", "reason": "\(error.reason)"])
            }
            throw error
        }
        // Stopping: take no more, and settle the batches whose replies are already out so
        // they are not answered twice. Deliveries held, waiting to retry or not started go
        // back to the queue when the channel closes. Bounded, since an alarm can hold
        // confirms back for long; a batch left unsettled is redelivered, and its replies
        // carry the same ids.
        source.cancel()
        let settleDeadline = ContinuousClock.now + .seconds(5)
        while !inFlight.isEmpty || isolated != nil, ContinuousClock.now < settleDeadline {
            try producer.collectConfirms(waitMilliseconds: 100)
            _ = try settleConfirmed()
        }
    }

    /// One turn of the loop: settles what the broker confirmed, takes what it delivered,
    /// starts a batch. Returns whether anything happened.
    private func step() throws(MessagingError) -> Bool {
        // Also services the publisher connection: its heartbeats are answered only inside
        // library calls.
        try producer.collectConfirms(waitMilliseconds: 0)
        var progressed = try settleConfirmed()

        // Asking for at least one keeps the source connection serviced even when the hand is
        // full: the broker sends nothing past the prefetch, so this only reads heartbeats.
        let room = max(1, rules.prefetch - unsettledCount)
        let (deliveries, signal) = try source.nextDeliveries(limit: room, waitMilliseconds: 0)
        held += deliveries
        progressed = progressed || !deliveries.isEmpty
        metrics.inFlight.record(unsettledCount)
        if signal == .cancelled {
            throw MessagingError(reason: "the broker cancelled the subscription (was the queue deleted?)")
        }
        if ContinuousClock.now - lastFlush > .seconds(1) {
            faults.flush()
            lastFlush = .now
        }
        // The broker has raised an alarm and stopped reading our publishes: hold the
        // deliveries (unacknowledged) until it lifts it.
        if publishChannel.isBlocked { return progressed }
        if !isolation.isEmpty || isolated != nil {
            return try isolateNext() || progressed
        }
        let now = ContinuousClock.now
        let due = retries.filter { $0.dueAt <= now }
        if held.isEmpty, due.isEmpty { return progressed }
        if !redisIsBack(now: now) { return progressed }
        retries.removeAll { $0.dueAt <= now }
        let batch = held
        held = []
        try start(batch, retrying: due)
        return true
    }

    /// RabbitMQ's direct reply-to pseudo-queue names.
    static let directReplyToPrefix = "amq.rabbitmq.reply-to."

    /// Deliveries taken and not yet acknowledged or handed back.
    private var unsettledCount: Int {
        held.count + inFlight.reduce(0) { $0 + $1.deliveries.count } + retries.count + isolation.count + (isolated == nil ? 0 : 1)
    }

    // MARK: Starting a batch

    /// Sorts `batch` — not hellos, too large, duplicates, hellos to count — counts the hellos
    /// in one Redis call and publishes their replies together with the retries now due; the
    /// batch then waits in `inFlight` for its confirms.
    ///
    /// Exactly once per message id: the received count and the "already answered" check are
    /// one atomic Redis step, a hello whose reply was confirmed before is acknowledged without
    /// a second reply, and a reply sent again (after a crash between publish and confirm)
    /// carries the same `message_id` as the first, derived from the hello's.
    private func start(_ batch: [Delivery], retrying due: [ConsumerJob]) throws(MessagingError) {
        let startedAt = ContinuousClock.now
        var settled: [UInt64] = []
        var jobs = due
        var toCount: [Delivery] = []
        var idsInBatch: Set<MessageID> = []
        var ignored = 0, duplicates = 0
        for delivery in batch {
            guard Hello.isHello(delivery.message) else {
                ignored += 1
                settled.append(delivery.tag)
                continue
            }
            if delivery.bodySize > UInt64(rules.maxMessageBytes) {
                faults.report("too_large", .warning, "hello larger than amqp.maxMessageBytes; dead-lettered unread",
                              metadata: ["bytes": "\(delivery.bodySize)", "limit": "\(rules.maxMessageBytes)"])
                let job = deadLetterJob(delivery, reason: .tooLarge, detail: "body of \(delivery.bodySize) bytes", attempts: nil)
                if rules.deadLetterQueue == nil {
                    metrics.count(.deadLettered)
                    settled.append(delivery.tag)
                } else {
                    jobs.append(job)
                }
                continue
            }
            if let id = Hello.countingID(of: delivery.message) {
                if idsInProgress.contains(id) || !idsInBatch.insert(id).inserted {
                    duplicates += 1
                    settled.append(delivery.tag)
                    continue
                }
            }
            toCount.append(delivery)
        }
        metrics.count(.ignored, ignored)
        metrics.count(.duplicate, duplicates)

        var counted: [(Delivery, ReceivedHello)] = []
        if !toCount.isEmpty {
            do {
                let statuses = try counter.countReceived(toCount.map { Hello.countingID(of: $0.message)?.bytes })
                counted = Array(zip(toCount, statuses))
                redisCounted()
            } catch {
                // Nothing was counted (the store is all or nothing): hold these until Redis
                // is back, and start the rest.
                pauseForRedis(error)
                held = toCount + held
            }
        }
        let now = UInt64(Date().timeIntervalSince1970)
        for (hello, status) in counted {
            metrics.count(status.isFirstDelivery ? .hello : .duplicate)
            if status.isAlreadyAnswered {
                settled.append(hello.tag)
                continue
            }
            let reply = policy.reply(to: hello.message, now: now)
            if let refused = reply.refusedReplyTo {
                faults.report("reply_to_refused", .warning, "a hello's reply_to names a refused queue; replying to the reply exchange",
                              metadata: ["replyTo": "\(refused)"])
            }
            var job = ConsumerJob(delivery: hello, outgoing: .reply(reply))
            if reply.isToRequester, poisoned.contains(reply.destination.routingKey) {
                job = deadLetterJob(hello, reason: .replyClosedChannel, detail: "the broker dropped the connection over a reply to this reply_to",
                                    attempts: nil)
            } else if reply.isToRequester, reply.destination.routingKey.hasPrefix(Self.directReplyToPrefix) {
                // Direct reply-to names are decoded by the broker, and a malformed one takes
                // the whole connection down: such replies go alone, so the one that does is
                // known.
                if let id = Hello.countingID(of: hello.message) { idsInProgress.insert(id) }
                job.toIsolate = true
                try keep(job)
                continue
            }
            if case .deadLetter = job.outgoing, rules.deadLetterQueue == nil {
                metrics.count(.deadLettered)
                settled.append(hello.tag)
                forget(hello)
                continue
            }
            jobs.append(job)
        }
        for job in jobs {
            if let id = Hello.countingID(of: job.delivery.message) { idsInProgress.insert(id) }
        }
        let tickets = try producer.send(jobs.map { ($0.message, $0.destination) })
        let setAside = Set(held.map(\.tag) + isolation.map(\.delivery.tag) + retries.map(\.delivery.tag))
        inFlight.append(ConsumerBatch(deliveries: batch.filter { !setAside.contains($0.tag) } + due.map(\.delivery),
                              settled: settled, jobs: jobs, tickets: tickets, startedAt: startedAt))
    }

    // MARK: Settling

    /// Settles, oldest first, every batch whose confirms are all in, and the isolated
    /// publish once its confirm is in. Returns whether anything was settled.
    private func settleConfirmed() throws(MessagingError) -> Bool {
        var settledAny = false
        while let batch = inFlight.first, let outcomes = producer.takeOutcomes(of: batch.tickets) {
            inFlight.removeFirst()
            try settle(batch, outcomes: outcomes)
            settledAny = true
        }
        if let (job, ticket) = isolated, let outcomes = producer.takeOutcomes(of: [ticket]) {
            isolated = nil
            var onlyThis = job
            onlyThis.isolated = true
            try settle(ConsumerBatch(deliveries: [job.delivery], settled: [], jobs: [onlyThis], tickets: [ticket], startedAt: job.startedAt),
                       outcomes: outcomes)
            settledAny = true
        }
        return settledAny
    }

    /// Acts on what became of each publish of `batch`: counts confirmed replies as sent and
    /// acknowledges what is done; sets refused ones aside to retry or dead-letter.
    private func settle(_ batch: ConsumerBatch, outcomes: [ConfirmTracker.Outcome]) throws(MessagingError) {
        var done = batch.settled
        var answered: [Delivery] = []
        for (job, outcome) in zip(batch.jobs, outcomes) {
            switch job.outgoing {
            case .reply(let reply):
                if let next = try afterReply(job, reply, outcome) {
                    try keep(next)
                } else if outcome == .confirmed {
                    answered.append(job.delivery)
                } else {
                    done.append(job.delivery.tag)
                    forget(job.delivery)
                }
            case .deadLetter(_, let reason):
                if outcome == .confirmed {
                    metrics.count(.deadLettered)
                    faults.report("dead_lettered", .warning, "hello dead-lettered",
                                  metadata: ["reason": "\(reason.rawValue)", "queue": "\(rules.deadLetterQueue ?? "")"])
                    done.append(job.delivery.tag)
                    forget(job.delivery)
                } else if case .unsendable(let why) = outcome {
                    // Not even the copy can be encoded (a reply_to made long by invalid
                    // UTF-8, say): nothing can be kept of it.
                    metrics.count(.deadLettered)
                    faults.report("dead_letter_unsendable", .error, "a hello's dead-letter copy cannot be encoded; dropped",
                                  metadata: ["reason": "\(why)"])
                    done.append(job.delivery.tag)
                    forget(job.delivery)
                } else {
                    faults.report("dead_letter_failed", .warning, "the dead-letter queue did not take a message; will retry",
                                  metadata: ["outcome": "\(outcome)", "queue": "\(rules.deadLetterQueue ?? "")"])
                    try keep(job.retried(after: .seconds(1)))
                }
            }
        }
        if !answered.isEmpty {
            do {
                try counter.countSent(answered.map { Hello.countingID(of: $0.message)?.bytes })
                done += answered.map(\.tag)
                redisCounted()
            } catch {
                // Not counted (all or nothing): hand them back; the redelivery finds them
                // received and unanswered, and sends the same reply again.
                pauseForRedis(error)
                for delivery in answered { try source.requeue(delivery.tag) }
                metrics.count(.failed, answered.count)
            }
            answered.forEach(forget)
        }
        try acknowledge(done, of: batch)
        let elapsed = ContinuousClock.now - batch.startedAt
        metrics.processed(done.count,
                          nanoseconds: elapsed.components.seconds * 1_000_000_000 + elapsed.components.attoseconds / 1_000_000_000)
    }

    /// What follows a reply's outcome: nil when the hello is finished with (answered, or
    /// dropped because the requester is gone), else the job to keep for later.
    private func afterReply(_ job: ConsumerJob, _ reply: ReplyPolicy.Reply, _ outcome: ConfirmTracker.Outcome) throws(MessagingError) -> ConsumerJob? {
        switch outcome {
        case .confirmed:
            metrics.count(.confirmed)
            return nil
        case .returned where reply.isToRequester:
            metrics.count(.returned)
            faults.report("requester_gone", .info, "reply dropped: the requester's queue is gone",
                          metadata: ["replyTo": "\(reply.destination.routingKey)"])
            return nil
        case .returned:
            // Nothing the message did: the reply exchange routes nowhere. Every reply will
            // fail alike until someone fixes the binding, so retry without counting it
            // against the message.
            metrics.count(.returned)
            faults.report("reply_unroutable", .warning, "reply unroutable; will retry",
                          metadata: ["exchange": "\(reply.destination.exchange)", "routingKey": "\(reply.destination.routingKey)"])
            health.degrade("replies unroutable at \(reply.destination.exchange)/\(reply.destination.routingKey)")
            return job.retried(after: .seconds(1))
        case .nacked where !reply.isToRequester:
            metrics.count(.nacked)
            faults.report("reply_refused", .warning, "the broker refused a reply; will retry")
            health.degrade("the broker refuses replies")
            return job.retried(after: .seconds(1))
        case .nacked:
            metrics.count(.nacked)
            faults.report("requester_refused", .warning, "a requester's queue refused a reply",
                          metadata: ["replyTo": "\(reply.destination.routingKey)"])
            health.degrade("requester queues refuse replies")
            return try failedAttempt(job, reason: .replyRefused, detail: "the queue \(reply.destination.routingKey) refused the reply")
        case .unsendable(let why):
            metrics.count(.unsendable)
            faults.report("reply_unsendable", .warning, "a reply cannot be encoded", metadata: ["reason": "\(why)"])
            return deadLetterJob(job.delivery, reason: .replyUnsendable, detail: why, attempts: nil)
        case .lost(let why) where job.isolated:
            // Sent alone, and the broker closed the channel on it: this reply is the cause.
            metrics.count(.lost)
            faults.report("reply_closed_channel", .warning, "the broker closed the channel on a reply", metadata: ["reason": "\(why)"])
            return deadLetterJob(job.delivery, reason: .replyClosedChannel, detail: why, attempts: nil)
        case .lost(let why):
            metrics.count(.lost)
            faults.report("channel_closed", .warning, "the broker closed the publishing channel; sending its unconfirmed replies one at a time",
                          metadata: ["reason": "\(why)"])
            var again = job
            again.toIsolate = true
            return again
        }
    }

    /// Records a failed attempt at answering `job`'s hello: it is tried again after a
    /// back-off of its own, or dead-lettered once it has failed `amqp.maxAttempts` times.
    private func failedAttempt(_ job: ConsumerJob, reason: DeadLetter.Reason, detail: String) throws(MessagingError) -> ConsumerJob {
        let now = UInt64(Date().timeIntervalSince1970)
        var attempts = FailedAttempts(count: (localAttempts[job.delivery.tag] ?? 0) + 1, firstFailure: now, lastFailure: now)
        if let id = Hello.countingID(of: job.delivery.message) {
            do {
                attempts = try counter.recordFailedAttempt(id.bytes, now: now)
            } catch {
                // Without Redis the attempt is not on record: retry it like any other.
                pauseForRedis(error)
                return job.retried(after: .seconds(1))
            }
        } else {
            localAttempts[job.delivery.tag] = attempts.count
        }
        if attempts.count >= rules.maxAttempts {
            localAttempts[job.delivery.tag] = nil
            return deadLetterJob(job.delivery, reason: reason, detail: detail, attempts: attempts)
        }
        // 0.25 s doubling per attempt, at most 10 s: for this message alone.
        return job.retried(after: .milliseconds(min(250 << min(attempts.count - 1, 6), 10_000)))
    }

    private func deadLetterJob(_ delivery: Delivery, reason: DeadLetter.Reason, detail: String, attempts: FailedAttempts?) -> ConsumerJob {
        let copy = DeadLetter(reason: reason, detail: detail, attempts: attempts, queue: rules.queue)
            .message(for: delivery, now: UInt64(Date().timeIntervalSince1970))
        return ConsumerJob(delivery: delivery, outgoing: .deadLetter(copy, reason), deadLetterQueue: rules.deadLetterQueue)
    }

    /// Keeps a job for later: to isolate, or to retry once due. A dead-letter job with no
    /// dead-letter queue is dropped at once: acknowledged and counted as dead-lettered.
    private func keep(_ job: ConsumerJob) throws(MessagingError) {
        if case .deadLetter(_, let reason) = job.outgoing, rules.deadLetterQueue == nil {
            metrics.count(.deadLettered)
            faults.report("dropped", .warning, "hello dropped (amqp.deadLetterQueue is empty)", metadata: ["reason": "\(reason.rawValue)"])
            try source.ack(job.delivery.tag, multiple: false)
            forget(job.delivery)
            return
        }
        if job.toIsolate {
            isolation.append(job)
        } else {
            retries.append(job)
        }
    }

    private func forget(_ delivery: Delivery) {
        if let id = Hello.countingID(of: delivery.message) { idsInProgress.remove(id) }
        localAttempts[delivery.tag] = nil
    }

    /// Sends the next isolated publish once every batch has settled, so it is alone with the
    /// broker: if the channel closes now, this one is the cause. Returns whether it sent.
    private func isolateNext() throws(MessagingError) -> Bool {
        guard inFlight.isEmpty, isolated == nil, !isolation.isEmpty else { return false }
        var job = isolation.removeFirst()
        job.toIsolate = false
        let tickets = try producer.send([(job.message, job.destination)])
        isolated = (job, tickets[0])
        return true
    }

    /// Acknowledges `tags` of `batch`: one `multiple` ack when they are the whole batch and
    /// no older delivery is still unsettled, else one by one.
    private func acknowledge(_ tags: [UInt64], of batch: ConsumerBatch) throws(MessagingError) {
        guard let last = tags.max() else { return }
        if tags.count == batch.deliveries.count, !hasUnsettledDelivery(olderThan: last) {
            try source.ack(last, multiple: true)
            return
        }
        for tag in tags { try source.ack(tag, multiple: false) }
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

    // MARK: Redis

    /// Pauses counting after `error`, for a back-off (50 ms doubling to 2 s) that starts
    /// over only once a count succeeds. Logged when the error changes, not on every retry.
    private func pauseForRedis(_ error: CounterStoreError) {
        redis.failures += 1
        redis.nextTry = .now + .milliseconds(min(50 << min(redis.failures - 1, 6), 2000))
        health.set("Redis: \(error.reason)")
        guard redis.lastError != error else { return }
        let what = error.code == .invalidData
            ? "Redis holds data the consumer cannot count on; holding deliveries until it is repaired"
            : "Redis unavailable; holding deliveries until it is back"
        logger.warning("\(what)", metadata: ["reason": "\(error.reason)", "code": "\(error.code)"])
        redis.lastError = error
    }

    /// A count succeeded: Redis is back, whatever was wrong.
    private func redisCounted() {
        guard redis.lastError != nil else { return }
        redis = RedisState()
        health.set(nil)
        logger.info("Redis is back; resuming")
    }

    /// Whether to try counting now: not while a back-off runs. An outage is probed with a
    /// PING first, so a Redis that is still down costs no batch; bad data is probed by the
    /// count itself, since PING would answer while the key is still broken.
    private func redisIsBack(now: ContinuousClock.Instant) -> Bool {
        guard let lastError = redis.lastError else { return true }
        guard now >= redis.nextTry else { return false }
        if lastError.code == .invalidData { return true }
        do {
            try counter.checkHealth()
            return true
        } catch {
            pauseForRedis(error)
            return false
        }
    }
}

/// Counting's trouble with Redis: the error last logged, the failures since the last
/// count that succeeded, and when to try again.
private struct RedisState {
    var lastError: CounterStoreError?
    var failures = 0
    var nextTry = ContinuousClock.now
}
