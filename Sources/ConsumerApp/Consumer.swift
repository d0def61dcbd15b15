import AMQPMessaging
import Counters
import Dispatch
import LinuxIO
import Logging
import Messaging
import RedisCounterStore
import Resilience
import Settings
import Synchronization

/// The `consumer` service: takes hellos from the inbound queue, counts them, answers each
/// through the `Producer` and counts the confirmed replies.
///
/// It drains the queue over `amqp.channels` channels at once. Each is a lane of its own:
/// a consuming and a publishing connection, a Redis connection and a thread, because a
/// librabbitmq connection belongs to one thread. The lanes share the metrics, the health and
/// the heartbeat. `run()` blocks its thread (the first lane's) until `requestStop()`.
public final class Consumer: Sendable {
    private let settings: ConsumerSettings
    private let logger: Logger
    private let stopRequested = Atomic<Bool>(false)
    /// What `/health` reports.
    public let health: ConsumerHealth

    public init(settings: ConsumerSettings, logger: Logger) {
        self.settings = settings
        self.logger = logger
        health = ConsumerHealth(channels: settings.amqp.channels)
    }

    /// Asks `run()` to take no more deliveries, settle the batches whose replies are already
    /// out (for up to 5 s), close cleanly and return. Safe from any thread.
    public func requestStop() {
        stopRequested.store(true, ordering: .relaxed)
    }

    private var stopping: Bool { stopRequested.load(ordering: .relaxed) }

    /// Runs until stopped. Connection losses are retried with `amqp.reconnect` back-off, by
    /// each lane on its own; a refusal that retrying cannot fix stops every lane and is thrown.
    public func run() throws(MessagingError) {
        let sentinels = settings.redis.sentinel.map { SentinelMaster(configuration: $0, logger: logger) }
        defer { sentinels?.stop() }
        let shared = Shared(
            metrics: ConsumerMetrics(),
            // One for the whole run: a fault that outlives a reconnect stays rate-limited.
            faults: FaultLog(logger: logger),
            presence: PresenceReporter(serviceName: settings.serviceName, queue: settings.amqp.queue,
                                       deadLetterQueue: ConsumerRules(settings).deadLetterQueue),
            sentinels: sentinels
        )
        let lanes = settings.amqp.channels
        let failure = Mutex<MessagingError?>(nil)
        let finished = DispatchSemaphore(value: 0)
        for lane in 1..<max(1, lanes) {
            Threads.start(name: "consumer-\(lane + 1)") { [self] in
                do throws(MessagingError) {
                    try runLane(lane, shared)
                } catch {
                    failure.withLock { $0 = $0 ?? error }
                    requestStop()
                }
                finished.signal()
            }
        }
        do throws(MessagingError) {
            try runLane(0, shared)
        } catch {
            failure.withLock { $0 = $0 ?? error }
            requestStop()
        }
        for _ in 1..<max(1, lanes) { finished.wait() }
        if let error = failure.withLock({ $0 }) { throw error }
    }

    /// What the lanes share: counted once, reported once.
    private struct Shared: Sendable {
        let metrics: ConsumerMetrics
        let faults: FaultLog
        let presence: PresenceReporter
        let sentinels: SentinelMaster?
    }

    /// One lane: connects, consumes until the connection fails, reconnects.
    private func runLane(_ lane: Int, _ shared: Shared) throws(MessagingError) {
        let (metrics, faults, presence) = (shared.metrics, shared.faults, shared.presence)
        let rules = ConsumerRules(settings, lane: lane)
        // Each channel's own lines (connecting, Redis trouble seen by its pipeline) say which it is.
        var logger = self.logger
        if settings.amqp.channels > 1 { logger[metadataKey: "amqp.channel"] = "\(lane + 1) of \(settings.amqp.channels)" }
        let counter = RedisBatchCounterStore(configuration: settings.redis, sentinels: shared.sentinels)
        let poisoned = PoisonedDestinations()
        let topology = AMQPDeliverySource.Topology(
            queue: settings.amqp.queue, prefetch: rules.prefetch, declare: settings.amqp.declare,
            replyExchange: settings.amqp.replyExchange, replyRoutingKey: settings.amqp.replyRoutingKey,
            replyQueue: settings.amqp.replyQueue, deadLetterQueue: rules.deadLetterQueue,
            queueType: QueueType(settings.amqp.queueType), deliveryLimit: settings.amqp.maxAttempts
        )
        let broker = settings.amqp.broker
        var rotation = EndpointRotation(count: broker.urls.count, order: broker.urlOrder)
        var lastFailure: MessagingError.Code?
        var sessions = 0
        var connectedNode: Int?
        while !stopping {
            let node = rotation.current
            let address = "\(broker.urls[node].host):\(broker.urls[node].port)"
            do throws(MessagingError) {
                // Made for each attempt: a password file is read again.
                let endpoint = AMQPEndpoint(link: broker, node: node, connectionName: settings.serviceName)
                let source = try AMQPDeliverySource(endpoint: endpoint, topology: topology)
                let channel: AMQPPublishChannel
                do {
                    channel = try AMQPPublishChannel(endpoint: endpoint)
                } catch {
                    source.close()
                    throw error
                }
                let session = ConsumerSession(source: source, channel: channel, counter: counter, rules: rules, metrics: metrics,
                                              health: health, faults: faults, poisoned: poisoned, presence: presence, lane: lane,
                                              node: address, logger: logger)
                logger.info("consuming", metadata: ["amqp.queue": "\(settings.amqp.queue)", "amqp.prefetch": "\(rules.prefetch)",
                                                    "broker.node": "\(address)"])
                if sessions > 0 { metrics.reconnects.increment() }
                if let connectedNode, connectedNode != node { metrics.nodeSwitches.increment() }
                metrics.connected(to: address, lane: lane)
                connectedNode = node
                sessions += 1
                health.set(nil, lane: lane)
                rotation.succeeded()
                lastFailure = nil
                try session.serve { self.stopping }
                return
            } catch {
                health.set("broker: \(error.reason)", lane: lane)
                if error.isPermanent { throw Self.explained(error, queueType: settings.amqp.queueType) }
                metrics.disconnected(lane: lane)
                guard let rounds = rotation.failed() else {
                    // Another node is still to be tried: at once, a dead node must not delay a live one.
                    logger.warning("broker node lost; trying the next", metadata: [
                        "broker.node": "\(address)", "broker.next": "\(broker.urls[rotation.current].host):\(broker.urls[rotation.current].port)",
                        "broker.error": "\(error.reason)",
                    ])
                    continue
                }
                let wait = settings.amqp.reconnect.delay(afterFailures: rounds)
                // Logged once per kind of failure, not per attempt.
                if lastFailure != error.code {
                    logger.warning("broker connection lost; reconnecting", metadata: ["broker.error": "\(error.reason)", "broker.retryIn": "\(wait)"])
                    lastFailure = error.code
                }
                sleep(for: wait)
            }
        }
    }

    /// A refusal with what to do about it, where the broker's words do not say: a queue that
    /// exists with other arguments (another type, most often) cannot be changed in place.
    /// The broker names the first argument that differs, which for a change of type may be
    /// any of those a quorum inbound queue carries.
    static func explained(_ error: MessagingError, queueType: AMQPSettings.QueueKind) -> MessagingError {
        guard error.reason.contains("inequivalent arg") else { return error }
        let hint = "the queue exists with other arguments than amqp.queueType=\(queueType.rawValue) gives it (a quorum inbound queue "
            + "carries x-queue-type, x-delivery-limit from amqp.maxAttempts and dead-lettering into amqp.deadLetterQueue), and a "
            + "queue's type and arguments cannot change: set amqp.queueType back, or migrate: stop the publishers, let the consumer "
            + "drain the queue, delete it (rabbitmqctl delete_queue NAME) and start the consumer with the new type, which declares it again"
        return MessagingError(error.code, reason: "\(error.reason); \(hint)", isPermanent: true, underlying: error.underlying)
    }

    /// Sleeps, waking early when a stop is requested.
    private func sleep(for duration: Duration) {
        let deadline = ContinuousClock.now + duration
        while !stopping, ContinuousClock.now < deadline { CurrentThread.sleep(for: .milliseconds(20)) }
    }
}

extension ConsumerRules {
    /// The rules of channel `lane`, which holds its share of the prefetch.
    init(_ settings: ConsumerSettings, lane: Int = 0) {
        let policy = ReplyPolicy(
            serviceName: settings.serviceName, body: settings.amqp.replyBody,
            destination: Destination(exchange: settings.amqp.replyExchange, routingKey: settings.amqp.replyRoutingKey),
            refusedReplyTo: Set(settings.amqp.refusedReplyTo + [settings.amqp.queue])
        )
        self.init(prefetch: settings.amqp.prefetch(ofChannel: lane), maxAttempts: settings.amqp.maxAttempts, deadLetterQueue: settings.amqp.deadLetterQueue,
                  maxMessageBytes: settings.amqp.maxMessageBytes, queue: settings.amqp.queue, policy: policy,
                  redisBackoff: settings.redis.reconnect)
    }
}
