import Counters
import LinuxIO
import Logging
import Messaging
import Producer

/// One connected stretch of the consumer: performs what `ConsumerPipeline` asks on a
/// delivery source, a publish channel and a counter store, until the connection fails or a
/// stop is requested. A new session after a reconnect starts with no delivery tags.
///
/// One thread moves everything: it never blocks on one party while another has something
/// for it, but waits on the broker's two connections and Redis's at once.
///
/// Thread-confined, like the source and channel it drives.
public final class ConsumerSession {
    private let source: DeliverySource
    private let channel: PublishChannel
    private let producer: Producer
    private let counter: BatchCounterStore
    private var pipeline: ConsumerPipeline
    private let logger: Logger
    private let faults: FaultLog
    private let metrics: ConsumerMetrics
    private let health: ConsumerHealth
    /// Reply destinations the broker dropped the whole connection over, kept across sessions.
    private let poisoned: PoisonedDestinations
    /// Nil for tools that run the consumer's work without the service around it.
    private let presence: PresenceReporter?
    /// Which of the consumer's channels this is (`amqp.channels`); the first reports the
    /// heartbeat for all.
    private let lane: Int
    /// The broker node this session is connected to, for the heartbeat.
    private let node: String
    private var lastFlush = ContinuousClock.now
    /// Answers still due to requests an earlier session sent on the same store (it ended on
    /// a lost broker connection with counts in flight): they come first, and are not this
    /// pipeline's.
    private var answersOfEarlierSessions: Int

    /// A session on its own, with metrics and a fault log of its own (for tools such as
    /// `ceiling` that run the consumer's work without the service around it).
    public convenience init(source: DeliverySource, channel: PublishChannel, counter: BatchCounterStore, rules: ConsumerRules,
                            logger: Logger) {
        self.init(source: source, channel: channel, counter: counter, rules: rules, metrics: ConsumerMetrics(),
                  health: ConsumerHealth(), faults: FaultLog(logger: logger), poisoned: PoisonedDestinations(), presence: nil,
                  lane: 0, node: "", logger: logger)
    }

    init(source: DeliverySource, channel: PublishChannel, counter: BatchCounterStore, rules: ConsumerRules, metrics: ConsumerMetrics,
         health: ConsumerHealth, faults: FaultLog, poisoned: PoisonedDestinations, presence: PresenceReporter?, lane: Int,
         node: String, logger: Logger) {
        self.source = source
        self.channel = channel
        producer = Producer(channel: channel)
        self.counter = counter
        pipeline = ConsumerPipeline(rules: rules, poisoned: poisoned.all, now: Self.now())
        answersOfEarlierSessions = counter.unansweredCount
        self.metrics = metrics
        self.health = health
        self.faults = faults
        self.poisoned = poisoned
        self.presence = presence
        self.lane = lane
        self.node = node
        self.logger = logger
    }

    /// Deliveries settled (acknowledged or handed back) so far.
    public var settledCount: Int { pipeline.settledCount }

    /// When the first delivery arrived, if one has.
    public private(set) var firstDeliveryAt: ContinuousClock.Instant?

    /// Works until `shouldStop` says so (then settles the batches whose replies are out,
    /// closes cleanly and returns) or the broker connection fails (then throws). Closes the
    /// source and channel either way.
    public func serve(until shouldStop: () -> Bool) throws(MessagingError) {
        defer {
            source.close()
            channel.close()
        }
        do {
            while !shouldStop() {
                if try !turn() {
                    // Nothing moved: sleep until the broker says something on either
                    // connection or Redis answers, or the next retry is due.
                    waitForInput(timeoutMilliseconds: pipeline.hasRetries ? 20 : 200)
                }
            }
        } catch {
            if let destination = pipeline.destinationToPoison {
                // Remember it, so the redelivered hello is dead-lettered instead of taking
                // the next connection down too.
                poisoned.insert(destination)
                logger.warning("the broker dropped the connection over a reply; hellos asking for replies there will be dead-lettered",
                               metadata: ["message.replyTo": "\(destination)", "broker.error": "\(error.reason)"])
            }
            throw error
        }
        // Stopping: take no more, and settle the batches whose replies are already out so
        // they are not answered twice. Bounded, since an alarm can hold confirms back for
        // long; a batch left unsettled is redelivered, and its replies carry the same ids.
        source.cancel()
        pipeline.stop()
        let settleDeadline = ContinuousClock.now + .seconds(5)
        while !pipeline.isSettled, ContinuousClock.now < settleDeadline {
            try producer.collectConfirms(waitMilliseconds: 0)
            pipeline.learned(producer.takeKnownOutcomes())
            let answered = takeRedisAnswers()
            if try !performActions(), !answered { waitForInput(timeoutMilliseconds: 100) }
        }
    }

    /// Waits until the broker says something on either connection or Redis answers a
    /// request, for at most `timeoutMilliseconds`.
    private func waitForInput(timeoutMilliseconds: Int) {
        let redis = counter.unansweredCount > 0 ? counter.answerDescriptor : nil
        source.waitForInput(alsoFrom: channel, alsoOn: redis, timeoutMilliseconds: timeoutMilliseconds)
    }

    /// Hands the answers Redis has given so far to the pipeline (a heartbeat's to the log);
    /// returns whether there were any.
    private func takeRedisAnswers() -> Bool {
        guard counter.unansweredCount > 0 else { return false }
        let answers = counter.answers(waitMilliseconds: 0)
        for answer in answers {
            if answersOfEarlierSessions > 0 {
                answersOfEarlierSessions -= 1
                continue
            }
            if case .presence(.failure(let error)) = answer {
                logger.debug("could not leave the heartbeat in Redis", metadata: ["redis.error": "\(error)"])
            } else if case .presence = answer {
                continue
            } else {
                pipeline.redisAnswered(answer)
            }
        }
        return !answers.isEmpty
    }

    /// One turn of the loop: takes what the broker confirmed and delivered, then does what
    /// the pipeline asks. Returns whether anything happened.
    private func turn() throws(MessagingError) -> Bool {
        // Also services the publisher connection: its heartbeats are answered only inside
        // library calls.
        try producer.collectConfirms(waitMilliseconds: 0)
        pipeline.learned(producer.takeKnownOutcomes())
        let answered = takeRedisAnswers()
        // Asking for at least one keeps the source connection serviced even when the hand is
        // full: the broker sends nothing past the prefetch, so this only reads heartbeats.
        let (deliveries, cancelled) = try source.nextDeliveries(limit: pipeline.room, waitMilliseconds: 0)
        pipeline.received(deliveries)
        if firstDeliveryAt == nil, !deliveries.isEmpty { firstDeliveryAt = .now }
        if cancelled {
            throw MessagingError(reason: "the broker cancelled the subscription (was the queue deleted?)")
        }
        pipeline.brokerBlocked(channel.blockedReason)
        let inFlight = presence?.inFlight(lane: lane, pipeline.unsettledCount) ?? pipeline.unsettledCount
        metrics.inFlight.record(inFlight)
        // One clock reading per turn serves the fault log's and the heartbeat's timing.
        let now = ContinuousClock.now
        if now - lastFlush > .seconds(1) {
            faults.flush()
            lastFlush = now
        }
        if lane == 0, let presence, presence.isDue(at: now) { try report(presence, at: now, inFlight: inFlight) }
        return try performActions() || !deliveries.isEmpty || answered
    }

    /// Performs the pipeline's actions until it has none; returns whether there were any.
    private func performActions() throws(MessagingError) -> Bool {
        var performed = false
        while let action = pipeline.nextAction(at: Self.now()) {
            performed = true
            try perform(action)
        }
        return performed
    }

    private func perform(_ action: ConsumerAction) throws(MessagingError) {
        switch action {
        case .askRedis(let request):
            counter.send(request)
        case .publish(let messages):
            pipeline.published(tickets: try producer.send(messages))
        case .ack(let tag, let multiple):
            try source.ack(tag, multiple: multiple)
        case .requeue(let tag):
            try source.requeue(tag)
        case .count(let outcome, let amount):
            metrics.count(outcome, amount)
            presence?.counted(outcome, amount)
        case .countReply(let outcome):
            metrics.count(outcome)
            presence?.counted(outcome)
        case .processed(let count, let since):
            let elapsed = ContinuousClock.now - since
            metrics.processed(count, nanoseconds: elapsed.components.seconds * 1_000_000_000 + elapsed.components.attoseconds / 1_000_000_000)
        case .fault(let fault):
            faults.report(fault.kind, fault.level, fault.message, metadata: fault.metadata)
        case .log(let level, let message, let metadata):
            logger.log(level: level, message, metadata: metadata)
        case .setProblem(let problem):
            health.set(problem, lane: lane)
        case .degrade(let reason):
            health.degrade(reason)
        case .renewConnection(let reason):
            throw MessagingError(reason: reason)
        }
    }

    /// Asks the broker how deep the queues are (a lost connection throws, as any broker call)
    /// and leaves the heartbeat in Redis, without waiting for its answer. Not while Redis is
    /// known to be away: the pipeline probes it.
    private func report(_ presence: PresenceReporter, at now: ContinuousClock.Instant, inFlight: Int) throws(MessagingError) {
        let depths = try source.readyMessages(in: presence.queues)
        metrics.queueDepths(depths, inbound: presence.queue, deadLetter: presence.deadLetterQueue)
        let heartbeat = presence.report(at: now, node: node, inFlight: inFlight, depths: depths)
        guard health.problem(lane: lane) == nil else { return }
        counter.send(.presence(heartbeat, ttlMilliseconds: presence.ttlMilliseconds))
    }

    private static func now() -> ConsumerPipeline.Moment {
        ConsumerPipeline.Moment(instant: .now, epochSeconds: WallClock.seconds())
    }
}
