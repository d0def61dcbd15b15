import AMQPMessaging
import ArgumentParser
import CommandSupport
import ConsumerApp
import Counters
import Logging
import Messaging
import Resilience
import Settings

/// `ceiling`: the broker's own ceiling for the consumer's work without Redis — consume,
/// publish the consumer's confirmed reply, acknowledge — measured by `scripts/bench` in the
/// same run as the consumer, so the consumer's rate can be read as a fraction of what the
/// broker allows. It runs the consumer's own session and pipeline with a counter store that
/// counts nothing; or, unconfirmed, a bare loop that shows what confirms cost.
@main
struct Ceiling: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Drains a queue the way the consumer does, minus Redis, and prints the rate."
    )

    @Option(help: "The broker.")
    var amqpURL: String = "amqp://guest:guest@127.0.0.1:5672/%2F"

    @Option(help: "The queue to drain (filled beforehand, e.g. by publish).")
    var queue: String

    @Option(help: "How many messages to take before stopping.")
    var count: Int

    @Option(help: "Unacknowledged deliveries in hand, as amqp.prefetch.")
    var prefetch: Int = 100

    @Flag(help: "Publish without publisher confirms and acknowledge at once: what confirms cost, not what the consumer may do.")
    var unconfirmed = false

    func run() throws {
        let url = try AMQPURL(parsing: amqpURL)
        // The broker's ceiling is measured over plain AMQP, the reference for the consumer's.
        guard !url.usesTLS else { throw ValidationError("--amqp-url: ceiling speaks plain AMQP only; give an amqp:// URL") }
        let endpoint = AMQPEndpoint(host: url.host, port: url.port, user: url.user, password: url.password, virtualHost: url.virtualHost,
                                    heartbeatSeconds: 30, connectionName: "biggoal-ceiling")
        // The reply travels as the consumer's does, through a direct exchange bound to the
        // reply queue.
        let replies = queue + "-ceiling-replies"
        let destination = Destination(exchange: queue + "-ceiling-x", routingKey: "reply")
        let topology = AMQPDeliverySource.Topology(queue: queue, prefetch: prefetch, declare: true, replyExchange: destination.exchange,
                                                   replyRoutingKey: destination.routingKey, replyQueue: replies)
        let source = try AMQPDeliverySource(endpoint: endpoint, topology: topology)
        let channel = try AMQPPublishChannel(endpoint: endpoint, confirms: !unconfirmed)
        let policy = ReplyPolicy(serviceName: "biggoal-ceiling", body: AMQPSettings.replyBody.defaultValue, destination: destination,
                                 refusedReplyTo: [queue])
        let (settled, started) = unconfirmed
            ? try drainUnconfirmed(source: source, channel: channel, policy: policy)
            : try drain(source: source, channel: channel, policy: policy)
        let elapsed = ContinuousClock.now - (started ?? .now)
        let seconds = max(Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18, 0.001)
        print("ceiling: \(settled) messages in \(seconds.withTwoDecimals) s (\(Int(Double(settled) / seconds)) msg/s)")
    }

    /// The consumer's session and pipeline, counting nothing.
    private func drain(source: AMQPDeliverySource, channel: AMQPPublishChannel, policy: ReplyPolicy) throws -> (Int, ContinuousClock.Instant?) {
        let rules = ConsumerRules(prefetch: prefetch, maxAttempts: 5, deadLetterQueue: nil, maxMessageBytes: 1 << 20, queue: queue,
                                  policy: policy, redisBackoff: Backoff(initial: .milliseconds(50), maximum: .seconds(2)))
        let session = ConsumerSession(source: source, channel: channel, counter: NothingCounted(), rules: rules,
                                      logger: Logger(label: "biggoal-ceiling"))
        try session.serve { session.settledCount >= count }
        return (session.settledCount, session.firstDeliveryAt)
    }

    /// Publishes each reply unconfirmed and acknowledges at once.
    private func drainUnconfirmed(source: AMQPDeliverySource, channel: AMQPPublishChannel, policy: ReplyPolicy) throws
        -> (Int, ContinuousClock.Instant?)
    {
        defer {
            source.close()
            channel.close()
        }
        var settled = 0
        var started: ContinuousClock.Instant?
        while settled < count {
            let (deliveries, _) = try source.nextDeliveries(limit: prefetch, waitMilliseconds: 1000)
            guard let last = deliveries.last else { continue }
            if started == nil { started = .now }
            for delivery in deliveries {
                let reply = policy.reply(to: delivery.message, now: 0)
                try channel.publish(reply.message, to: reply.destination)
            }
            try source.ack(last.tag, multiple: true)
            settled += deliveries.count
        }
        return (settled, started)
    }
}

/// A counter store that counts nothing: every hello is new and unanswered.
private final class NothingCounted: BatchCounterStore {
    func countReceived(_ messageIDs: [[UInt8]?]) throws(CounterStoreError) -> [ReceivedHello] {
        messageIDs.map { _ in ReceivedHello(isFirstDelivery: true, isAlreadyAnswered: false) }
    }

    func countSent(_ messageIDs: [[UInt8]?]) throws(CounterStoreError) {}

    func recordFailedAttempt(_ messageID: [UInt8], now: UInt64) throws(CounterStoreError) -> FailedAttempts {
        FailedAttempts(count: 1, firstFailure: now, lastFailure: now)
    }

    func checkHealth() throws(CounterStoreError) {}

    func leavePresence(_ presence: ConsumerPresence, ttlMilliseconds: Int) throws(CounterStoreError) {}
}
