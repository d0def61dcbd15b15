import AMQPMessaging
import CommandSupport
import Messaging
import Producer
import Resilience
import Settings

/// `publish`'s way to the broker: a channel on one node of the cluster, and what to do when
/// that node goes or keeps refusing. Every message is sent again with its own id until the
/// broker confirms it, so a consumer counts it once however many times it arrived.
struct PublishLink {
    /// How long publishing waits for some node to answer again, or for a node to accept a
    /// message again, before it gives up.
    static let patience: Duration = .seconds(60)
    /// How long a channel may keep refusing every message before it is replaced.
    static let refusalsBeforeRenewal = Producer.refusalsBeforeRenewal

    private let settings: PublishSettings
    private let queue: String
    private var rotation: EndpointRotation
    private var channel: AMQPPublishChannel
    private var producer: Producer

    /// Connects to the first node that answers, in `amqp.urlOrder`, and declares the queue.
    init(settings: PublishSettings, queue: String) throws(MessagingError) {
        self.settings = settings
        self.queue = queue
        var rotation = EndpointRotation(count: settings.broker.urls.count, order: settings.broker.urlOrder)
        channel = try Self.connect(settings, queue: queue, rotation: &rotation)
        producer = Producer(channel: channel)
        self.rotation = rotation
    }

    func close() {
        channel.close()
    }

    /// Publishes `batch` until every message has an answer that another try cannot change:
    /// confirmed, or returned (no queue took it) or unsendable, which count as failed. A
    /// refused or lost message is sent again; a lost connection, or a channel that keeps
    /// refusing, moves to the next node that answers.
    mutating func publish(_ batch: [(message: Message, destination: Destination)]) async throws -> (confirmed: Int, failed: Int) {
        var pending = batch
        var confirmed = 0
        var failed = 0
        var refusedSince: ContinuousClock.Instant?
        while !pending.isEmpty {
            let outcomes: [ConfirmTracker.Outcome]
            do {
                outcomes = try producer.publish(pending)
            } catch {
                try await failOver(after: "\(error)")
                continue
            }
            var again: [(message: Message, destination: Destination)] = []
            for (item, outcome) in zip(pending, outcomes) {
                switch outcome {
                case .confirmed: confirmed += 1
                case .nacked, .lost: again.append(item)
                case .returned, .unsendable: failed += 1
                }
            }
            pending = again
            guard !pending.isEmpty else { break }
            let since = refusedSince ?? .now
            refusedSince = since
            if ContinuousClock.now - since > Self.patience {
                failed += pending.count
                break
            }
            if ContinuousClock.now - since > Self.refusalsBeforeRenewal {
                try await failOver(after: "the broker refused every message for \(Self.refusalsBeforeRenewal)")
            } else {
                try await Task.sleep(for: .milliseconds(100))
            }
        }
        return (confirmed, failed)
    }

    /// Replaces the channel with one on the next node that answers, trying round after round
    /// (a second apart) for up to `patience`, as a cluster may take a few seconds to elect
    /// new queue leaders.
    private mutating func failOver(after reason: String) async throws {
        channel.close()
        let lost = settings.broker.urls[rotation.current]
        _ = rotation.failed()
        let deadline = ContinuousClock.now + Self.patience
        var lastError: MessagingError?
        while ContinuousClock.now < deadline {
            do throws(MessagingError) {
                channel = try Self.connect(settings, queue: queue, rotation: &rotation)
                producer = Producer(channel: channel)
                let node = settings.broker.urls[rotation.current]
                PublishCommand.printError("left \(lost.host):\(lost.port) (\(reason)); unconfirmed messages go again through \(node.host):\(node.port)")
                return
            } catch {
                if error.isPermanent { throw error }
                lastError = error
            }
            try await Task.sleep(for: .seconds(1))
        }
        throw lastError ?? MessagingError(reason: "no broker node answered for \(Self.patience)")
    }

    /// A channel on the first node that answers, from `rotation`'s current node on, with the
    /// inbound queue declared; after one full round of failures, the last error, or at once
    /// a refusal that another node would not mend.
    private static func connect(_ settings: PublishSettings, queue: String, rotation: inout EndpointRotation) throws(MessagingError) -> AMQPPublishChannel {
        var lastError: MessagingError?
        for _ in settings.broker.urls.indices {
            do throws(MessagingError) {
                let channel = try AMQPPublishChannel(endpoint: AMQPEndpoint(link: settings.broker, node: rotation.current,
                                                                             connectionName: "biggoal-publish"))
                do throws(MessagingError) {
                    try channel.declare(InboundQueue(name: queue, type: QueueType(settings.queueType), deliveryLimit: settings.maxAttempts,
                                                     deadLetterQueue: settings.deadLetterQueue(of: queue)))
                } catch {
                    channel.close()
                    throw error
                }
                rotation.succeeded()
                return channel
            } catch {
                if error.isPermanent { throw error }
                lastError = error
                _ = rotation.failed()
            }
        }
        throw lastError!
    }
}
