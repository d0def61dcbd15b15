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
final class ConsumerSession {
    private let source: AMQPDeliverySource
    private let publishChannel: AMQPPublishChannel
    private let producer: Producer
    private let counter: BatchCounterStore
    private let policy: ReplyPolicy
    private let prefetch: Int
    private let logger: Logger
    private let metrics: ConsumerMetrics
    private let health: ConsumerHealth
    /// Deliveries taken from the broker but not yet started (while Redis is down, or the
    /// broker blocks publishing).
    private var held: [Delivery] = []
    /// Batches whose replies are with the broker, oldest first, waiting for confirms.
    private var inFlight: [InFlightBatch] = []
    private var inFlightDeliveries = 0
    private var redisDown = false

    /// A short pause before handing a failed delivery back, so a persistent fault does not
    /// become a hot redelivery loop.
    private static let requeueBackoff = 0.25

    init(settings: ConsumerSettings, counter: BatchCounterStore, metrics: ConsumerMetrics, health: ConsumerHealth,
         logger: Logger) throws(MessagingError) {
        self.metrics = metrics
        self.health = health
        let endpoint = AMQPEndpoint(settings)
        let topology = AMQPDeliverySource.Topology(
            queue: settings.amqp.queue, prefetch: settings.amqp.prefetch, declare: settings.amqp.declare,
            replyExchange: settings.amqp.replyExchange, replyRoutingKey: settings.amqp.replyRoutingKey,
            replyQueue: settings.amqp.replyQueue
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
        self.prefetch = settings.amqp.prefetch
        self.logger = logger
        policy = ReplyPolicy(
            serviceName: settings.serviceName, body: settings.amqp.replyBody,
            destination: Destination(exchange: settings.amqp.replyExchange, routingKey: settings.amqp.replyRoutingKey)
        )
    }

    /// Handles batches until `shouldStop` says so (then finishes the batches whose replies are
    /// out, closes cleanly and returns) or the broker connection fails (then throws).
    ///
    /// Batches overlap: while the broker confirms one batch's replies, the next is counted
    /// and answered. Each batch is acknowledged once all its confirms are in, oldest first,
    /// so one `multiple` ack never covers a delivery of a batch still in flight.
    func serve(until shouldStop: () -> Bool) throws(MessagingError) {
        defer {
            source.close()
            publishChannel.close()
        }
        while !shouldStop() {
            if try !step() {
                // Nothing moved: sleep until the broker says something on either connection.
                source.waitForInput(alsoFrom: publishChannel, timeoutMilliseconds: 200)
            }
        }
        // Stopping: take no more, and settle the batches whose replies are already out so
        // they are not answered twice. Deliveries held but not started go back to the queue
        // when the channel closes. Bounded, since an alarm can hold confirms back for long;
        // a batch left unsettled is redelivered, and its replies carry the same ids.
        source.cancel()
        let settleDeadline = ContinuousClock.now + .seconds(5)
        while !inFlight.isEmpty, ContinuousClock.now < settleDeadline {
            try producer.collectConfirms(waitMilliseconds: 100)
            _ = try finishConfirmedBatches()
        }
    }

    /// One turn of the loop: settles confirmed batches, takes what the broker delivered,
    /// starts a batch. Returns whether anything happened.
    private func step() throws(MessagingError) -> Bool {
        // Also services the publisher connection: its heartbeats are answered only inside
        // library calls.
        try producer.collectConfirms(waitMilliseconds: 0)
        var progressed = try finishConfirmedBatches()

        // Asking for at least one keeps the source connection serviced even when the hand is
        // full: the broker sends nothing past the prefetch, so this only reads heartbeats.
        let room = max(1, prefetch - held.count - inFlightDeliveries)
        let (deliveries, signal) = try source.nextDeliveries(limit: room, waitMilliseconds: 0)
        held += deliveries
        progressed = progressed || !deliveries.isEmpty
        metrics.inFlight.record(held.count + inFlightDeliveries)
        if signal == .cancelled {
            throw MessagingError(reason: "the broker cancelled the subscription (was the queue deleted?)")
        }
        // The broker has raised an alarm and stopped reading our publishes: hold the
        // deliveries (unacknowledged) until it lifts it.
        if publishChannel.isBlocked || held.isEmpty { return progressed }
        if redisDown {
            do {
                try counter.checkHealth()
                redisDown = false
                health.set(nil)
                logger.info("Redis is back; resuming")
            } catch {
                return progressed
            }
        }
        let batch = held
        held = []
        try start(batch)
        return true
    }

    /// Counts the hellos of `batch` and publishes their replies; the batch then waits in
    /// `inFlight` for its confirms.
    ///
    /// Exactly once per message id: the received count and the "already answered" check are
    /// one atomic Redis step, a hello whose reply was confirmed before is acknowledged without
    /// a second reply, and a reply sent again (after a crash between publish and confirm)
    /// carries the same `message_id` as the first, derived from the hello's.
    private func start(_ batch: [Delivery]) throws(MessagingError) {
        let startedAt = ContinuousClock.now
        let hellos = batch.filter { Hello.isHello($0.message) }
        var done = Set(batch.lazy.filter { !Hello.isHello($0.message) }.map(\.tag))
        metrics.count(.ignored, done.count)
        if done.count > 0 {
            logger.debug("acknowledging messages that are not hellos", metadata: ["count": "\(done.count)"])
        }
        var toAnswer: [Delivery] = []
        if !hellos.isEmpty {
            do {
                let statuses = try counter.countReceived(hellos.map(\.message.messageID))
                for (hello, status) in zip(hellos, statuses) {
                    if status.isAlreadyAnswered {
                        done.insert(hello.tag)
                    } else {
                        toAnswer.append(hello)
                    }
                }
                let duplicates = statuses.filter { !$0.isFirstDelivery }.count
                metrics.count(.duplicate, duplicates)
                metrics.count(.hello, statuses.count - duplicates)
                if duplicates > 0 {
                    logger.debug("duplicate hellos not counted again", metadata: ["count": "\(duplicates)"])
                }
            } catch {
                pauseForRedis(error)
            }
        }
        let now = UInt64(Date().timeIntervalSince1970)
        let replies = toAnswer.map { policy.reply(to: $0.message, messageID: Self.replyID(for: $0.message), now: now) }
        let sequences = try producer.send(replies.map { ($0.message, $0.destination) })
        inFlight.append(InFlightBatch(deliveries: batch, done: done, answering: toAnswer, replies: replies,
                                      sequences: sequences, startedAt: startedAt))
        inFlightDeliveries += batch.count
    }

    /// Settles, oldest first, every batch whose confirms are all in: counts the confirmed
    /// replies as sent, then acknowledges. Returns whether any batch was settled.
    private func finishConfirmedBatches() throws(MessagingError) -> Bool {
        var finished = false
        while let batch = inFlight.first, let outcomes = producer.takeOutcomes(of: batch.sequences) {
            inFlight.removeFirst()
            inFlightDeliveries -= batch.deliveries.count
            try finish(batch, outcomes: outcomes)
            finished = true
        }
        return finished
    }

    private func finish(_ batch: InFlightBatch, outcomes: [ConfirmTracker.Outcome]) throws(MessagingError) {
        var done = batch.done
        var confirmedIDs: [String?] = []
        for (index, outcome) in outcomes.enumerated() {
            let hello = batch.answering[index]
            let reply = batch.replies[index]
            switch outcome {
            case .confirmed:
                metrics.count(.confirmed)
                confirmedIDs.append(hello.message.messageID)
                done.insert(hello.tag)
            case .returned where reply.isToRequester:
                metrics.count(.returned)
                logger.info("reply dropped: the requester's queue is gone", metadata: ["replyTo": "\(reply.destination.routingKey)"])
                done.insert(hello.tag)
            case .returned:
                metrics.count(.returned)
                logger.warning("reply unroutable; will retry", metadata: ["exchange": "\(reply.destination.exchange)", "routingKey": "\(reply.destination.routingKey)"])
            case .nacked:
                metrics.count(.nacked)
                logger.warning("broker refused a reply; will retry")
            }
        }
        if !confirmedIDs.isEmpty {
            do {
                try counter.countSent(confirmedIDs)
            } catch {
                pauseForRedis(error)
                done.subtract(batch.answering.map(\.tag))
            }
        }
        metrics.count(.failed, batch.deliveries.count - done.count)
        try acknowledge(batch.deliveries, done: done)
        let elapsed = ContinuousClock.now - batch.startedAt
        metrics.processed(batch.deliveries.count,
                          nanoseconds: elapsed.components.seconds * 1_000_000_000 + elapsed.components.attoseconds / 1_000_000_000)
    }

    /// The reply's `message_id`: derived from the hello's, so that a reply published again
    /// after a crash can be recognised downstream as the same reply.
    static func replyID(for hello: Message) -> String {
        hello.messageID.map { "reply-\($0)" } ?? UUID().uuidString.lowercased()
    }

    private func pauseForRedis(_ error: CounterStoreError) {
        health.set("Redis: \(error.reason)")
        if !redisDown {
            logger.warning("Redis unavailable; pausing deliveries until it is back", metadata: ["reason": "\(error.reason)"])
        }
        redisDown = true
    }

    /// Acks what is done (one `multiple` ack when the whole batch is: every older batch is
    /// settled by then), requeues the rest.
    private func acknowledge(_ batch: [Delivery], done: Set<UInt64>) throws(MessagingError) {
        if done.count == batch.count, let last = batch.map(\.tag).max() {
            try source.ack(last, multiple: true)
            return
        }
        for delivery in batch where done.contains(delivery.tag) {
            try source.ack(delivery.tag, multiple: false)
        }
        Thread.sleep(forTimeInterval: Self.requeueBackoff)
        for delivery in batch where !done.contains(delivery.tag) {
            try source.requeue(delivery.tag)
        }
    }
}

/// A batch between publishing its replies and being acknowledged.
private struct InFlightBatch {
    /// Every delivery of the batch, hellos or not.
    let deliveries: [Delivery]
    /// Tags already done without a reply: not hellos, or answered before.
    let done: Set<UInt64>
    /// The hellos being answered, with their replies and the replies' publish sequences.
    let answering: [Delivery]
    let replies: [ReplyPolicy.Reply]
    let sequences: [UInt64]
    let startedAt: ContinuousClock.Instant
}
