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
    /// Deliveries taken from the broker but not yet handled (while Redis is down).
    private var held: [Delivery] = []
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

    /// Handles batches until `shouldStop` says so (then closes cleanly and returns) or the
    /// broker connection fails (then throws).
    func serve(until shouldStop: () -> Bool) throws(MessagingError) {
        defer {
            source.close()
            publishChannel.close()
        }
        while !shouldStop() {
            // Heartbeats on the publisher connection are serviced only inside library calls.
            try publishChannel.serviceConnection()
            // Asking for at least one keeps this a timed wait even when `held` is full: the
            // broker sends nothing past the prefetch, so a full hand just waits (servicing
            // heartbeats) instead of spinning while Redis or the broker is paused.
            let room = max(1, prefetch - held.count)
            let (deliveries, signal) = try source.nextDeliveries(limit: room, waitMilliseconds: 200)
            held += deliveries
            metrics.inFlight.record(held.count)
            if signal == .cancelled {
                throw MessagingError(reason: "the broker cancelled the subscription (was the queue deleted?)")
            }
            // The broker has raised an alarm and stopped reading our publishes: hold the
            // deliveries (unacknowledged) until it lifts it.
            if publishChannel.isBlocked { continue }
            guard !held.isEmpty else { continue }
            if redisDown {
                do {
                    try counter.checkHealth()
                    redisDown = false
                    health.set(nil)
                    logger.info("Redis is back; resuming")
                } catch {
                    continue
                }
            }
            let batch = held
            held = []
            let started = ContinuousClock.now
            try handle(batch)
            let elapsed = ContinuousClock.now - started
            metrics.processed(batch.count, nanoseconds: elapsed.components.seconds * 1_000_000_000 + elapsed.components.attoseconds / 1_000_000_000)
            metrics.inFlight.record(held.count)
        }
        // Stopping: take no more; deliveries held but not handled go back to the queue when
        // the channel closes.
        source.cancel()
    }

    private func handle(_ batch: [Delivery]) throws(MessagingError) {
        let hellos = batch.filter { Hello.isHello($0.message) }
        var done = Set(batch.lazy.filter { !Hello.isHello($0.message) }.map(\.tag))
        metrics.count(.ignored, done.count)
        if done.count > 0 {
            logger.debug("acknowledging messages that are not hellos", metadata: ["count": "\(done.count)"])
        }
        if !hellos.isEmpty {
            done.formUnion(try handleHellos(hellos))
        }
        metrics.count(.failed, batch.count - done.count)
        try acknowledge(batch, done: done)
    }

    /// Counts, answers and counts the answers of `hellos`; returns the tags that are done.
    ///
    /// Exactly once per message id: the received count and the "already answered" check are
    /// one atomic Redis step, a hello whose reply was confirmed before is acknowledged without
    /// a second reply, and a reply sent again (after a crash between publish and confirm)
    /// carries the same `message_id` as the first, derived from the hello's.
    private func handleHellos(_ hellos: [Delivery]) throws(MessagingError) -> Set<UInt64> {
        let ids = hellos.map(\.message.messageID)
        let statuses: [ReceivedHello]
        do {
            statuses = try counter.countReceived(ids)
        } catch {
            pauseForRedis(error)
            return []
        }
        var done = Set<UInt64>()
        var toAnswer: [Delivery] = []
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
            logger.debug("duplicate hellos not counted again", metadata: ["count": "\(duplicates)", "alreadyAnswered": "\(done.count)"])
        }
        guard !toAnswer.isEmpty else { return done }

        let now = UInt64(Date().timeIntervalSince1970)
        let replies = toAnswer.map { policy.reply(to: $0.message, messageID: Self.replyID(for: $0.message), now: now) }
        let outcomes = try producer.publish(replies.map { ($0.message, $0.destination) })
        var confirmedIDs: [String?] = []
        for (index, outcome) in outcomes.enumerated() {
            switch outcome {
            case .confirmed:
                metrics.count(.confirmed)
                confirmedIDs.append(toAnswer[index].message.messageID)
                done.insert(toAnswer[index].tag)
            case .returned where replies[index].isToRequester:
                metrics.count(.returned)
                logger.info("reply dropped: the requester's queue is gone", metadata: ["replyTo": "\(replies[index].destination.routingKey)"])
                done.insert(toAnswer[index].tag)
            case .returned:
                metrics.count(.returned)
                logger.warning("reply unroutable; will retry", metadata: ["exchange": "\(replies[index].destination.exchange)", "routingKey": "\(replies[index].destination.routingKey)"])
            case .nacked:
                metrics.count(.nacked)
                logger.warning("broker refused a reply; will retry")
            }
        }
        do {
            try counter.countSent(confirmedIDs)
        } catch {
            pauseForRedis(error)
            return done.subtracting(toAnswer.map(\.tag))
        }
        return done
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

    /// Acks what is done (one `multiple` ack when the whole batch is), requeues the rest.
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
