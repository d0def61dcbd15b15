import AMQPMessaging
import ArgumentParser
import CommandSupport
import ConsumerApp
import Counters
import Dispatch
import LinuxIO
import Logging
import Messaging
import Resilience
import Settings
import Synchronization

/// `ceiling`: the broker's own ceiling for the consumer's work without Redis — consume,
/// publish the consumer's confirmed reply, acknowledge — measured by `scripts/bench` in the
/// same run as the consumer, so the consumer's rate can be read as a fraction of what the
/// broker allows. It runs the consumer's own session and pipeline with a counter store that
/// counts nothing; or, unconfirmed, a bare loop that shows what confirms cost. With
/// `--channels N` it runs N such pipelines at once on the same queue, each on its own thread
/// with its own consuming and publishing connections, which shows whether the broker can
/// do more of this work when it comes over more channels.
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

    @Option(help: "Pipelines draining the queue at once, each with its own connections, thread and share of the prefetch, as the consumer's channels.")
    var channels: Int = 1

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
        guard (1...prefetch).contains(channels) else { throw ValidationError("--channels: from 1 to the prefetch") }
        // Each pipeline holds its share of the prefetch, as the consumer's channels do.
        let shares = (0..<channels).map { AMQPSettings.share(of: prefetch, channels: channels, lane: $0) }
        let policy = ReplyPolicy(serviceName: "biggoal-ceiling", body: AMQPSettings.replyBody.defaultValue, destination: destination,
                                 refusedReplyTo: [queue])
        let pipelines = try shares.map { share in
            let topology = AMQPDeliverySource.Topology(queue: queue, prefetch: share, declare: true, replyExchange: destination.exchange,
                                                       replyRoutingKey: destination.routingKey, replyQueue: replies)
            return (source: try AMQPDeliverySource(endpoint: endpoint, topology: topology),
                    channel: try AMQPPublishChannel(endpoint: endpoint, confirms: !unconfirmed), prefetch: share)
        }
        let progress = Progress(pipelines: channels)
        let finished = DispatchSemaphore(value: 0)
        for (index, pipeline) in pipelines.enumerated() {
            nonisolated(unsafe) let pipeline = pipeline
            Threads.start(name: "ceiling-\(index)") { [self] in
                do {
                    let (settled, started) = unconfirmed
                        ? try drainUnconfirmed(source: pipeline.source, channel: pipeline.channel, prefetch: pipeline.prefetch, policy: policy,
                                               index: index, progress: progress)
                        : try drain(source: pipeline.source, channel: pipeline.channel, prefetch: pipeline.prefetch, policy: policy,
                                    index: index, progress: progress)
                    progress.finish(index, settled: settled, started: started)
                } catch {
                    progress.fail(index, error)
                }
                finished.signal()
            }
        }
        for _ in pipelines { finished.wait() }
        if let failure = progress.failure { throw failure }
        let (settled, started) = (progress.totalSettled, progress.earliestStart)
        let elapsed = ContinuousClock.now - (started ?? .now)
        let seconds = max(Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18, 0.001)
        print("ceiling: \(settled) messages in \(seconds.withTwoDecimals) s (\(Int(Double(settled) / seconds)) msg/s)")
    }

    /// The consumer's session and pipeline, counting nothing.
    private func drain(source: AMQPDeliverySource, channel: AMQPPublishChannel, prefetch: Int, policy: ReplyPolicy, index: Int,
                       progress: Progress) throws -> (Int, ContinuousClock.Instant?) {
        let rules = ConsumerRules(prefetch: prefetch, maxAttempts: 5, deadLetterQueue: nil, maxMessageBytes: 1 << 20, queue: queue,
                                  policy: policy, redisBackoff: Backoff(initial: .milliseconds(50), maximum: .seconds(2)))
        let session = ConsumerSession(source: source, channel: channel, counter: NothingCounted(), rules: rules,
                                      logger: Logger(label: "biggoal-ceiling"))
        try session.serve { progress.report(index, settled: session.settledCount) >= count }
        return (session.settledCount, session.firstDeliveryAt)
    }

    /// Publishes each reply unconfirmed and acknowledges at once.
    private func drainUnconfirmed(source: AMQPDeliverySource, channel: AMQPPublishChannel, prefetch: Int, policy: ReplyPolicy, index: Int,
                                  progress: Progress) throws -> (Int, ContinuousClock.Instant?)
    {
        defer {
            source.close()
            channel.close()
        }
        var settled = 0
        var started: ContinuousClock.Instant?
        while progress.report(index, settled: settled) < count {
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

/// What the pipelines have settled between them; each stops once the total is reached.
private final class Progress: Sendable {
    private struct State {
        var settled: [Int]
        var starts: [ContinuousClock.Instant] = []
        var failure: (any Error)?
    }

    private let state: Mutex<State>

    init(pipelines: Int) {
        state = Mutex(State(settled: Array(repeating: 0, count: pipelines)))
    }

    /// Records one pipeline's count and returns the total.
    func report(_ index: Int, settled: Int) -> Int {
        state.withLock { state in
            state.settled[index] = settled
            return state.settled.reduce(0, +)
        }
    }

    func finish(_ index: Int, settled: Int, started: ContinuousClock.Instant?) {
        state.withLock { state in
            state.settled[index] = settled
            if let started { state.starts.append(started) }
        }
    }

    func fail(_ index: Int, _ error: any Error) {
        state.withLock { $0.failure = $0.failure ?? error }
    }

    var totalSettled: Int { state.withLock { $0.settled.reduce(0, +) } }
    var earliestStart: ContinuousClock.Instant? { state.withLock { $0.starts.min() } }
    var failure: (any Error)? { state.withLock { $0.failure } }
}

/// A counter store that counts nothing: every hello is new and unanswered, and every answer
/// is there at once.
private final class NothingCounted: BatchCounterStore {
    private var ready: [CountAnswer] = []

    func send(_ request: CountRequest) {
        switch request {
        case .received(let ids): ready.append(.received(.success(ids.map { _ in ReceivedHello(isFirstDelivery: true, isAlreadyAnswered: false) })))
        case .sent: ready.append(.sent(.success(())))
        case .failedAttempts(let ids, let now):
            ready.append(.failedAttempts(ids.map { _ in .success(FailedAttempts(count: 1, firstFailure: now, lastFailure: now)) }))
        case .probe: ready.append(.probe(.success(())))
        case .presence: ready.append(.presence(.success(())))
        }
    }

    func answers(waitMilliseconds: Int) -> [CountAnswer] {
        defer { ready = [] }
        return ready
    }

    var unansweredCount: Int { ready.count }

    var answerDescriptor: Int32? { nil }
}
