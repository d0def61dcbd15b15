@testable import ConsumerApp
import Counters
import CountersTestSupport
import Messaging
import Producer
import Resilience

extension ConsumerRules {
    /// Rules for tests: prefetch 100, three attempts, a dead-letter queue, a 1 KiB limit,
    /// replies to `replies` through exchange `x`; no jitter, so waits are exact.
    static func test(deadLetterQueue: String? = "in.dead", maxAttempts: Int = 3) -> ConsumerRules {
        ConsumerRules(
            prefetch: 100, maxAttempts: maxAttempts, deadLetterQueue: deadLetterQueue, maxMessageBytes: 1024, queue: "in",
            policy: ReplyPolicy(serviceName: "test", body: "hi", destination: Destination(exchange: "x", routingKey: "replies"),
                                refusedReplyTo: ["in"]),
            redisBackoff: Backoff(initial: .milliseconds(50), maximum: .seconds(2), jitter: false)
        )
    }
}

/// Drives a `ConsumerPipeline` by hand: answers its questions from an in-memory store,
/// numbers its publishes with tickets the test resolves, records everything else it asks
/// for, and keeps a clock the test moves.
struct PipelineHarness {
    var pipeline: ConsumerPipeline
    let store = MemoryBatchCounterStore()
    var clock = ContinuousClock.now
    var epochSeconds: UInt64 = 1_800_000_000
    private var nextTicket: UInt64 = 1

    /// When true, requests to Redis wait in `unansweredRedis` until `answerRedis` answers
    /// them; else each is answered as soon as it is asked.
    var holdsRedisAnswers = false
    private(set) var unansweredRedis: [CountRequest] = []

    /// Answers the oldest `count` requests held (default: all), in order, and runs.
    mutating func answerRedis(_ count: Int? = nil) {
        let chosen = unansweredRedis.prefix(count ?? unansweredRedis.count)
        unansweredRedis.removeFirst(chosen.count)
        for request in chosen { pipeline.redisAnswered(store.answering(request)) }
        run()
    }

    /// Every publish asked for, with its ticket.
    var published: [(ticket: UInt64, message: Message, destination: Destination)] = []
    /// Tickets whose outcome the test has not given yet.
    var outstanding: [UInt64] { published.map(\.ticket).filter { !resolved.contains($0) } }
    private var resolved: Set<UInt64> = []
    var acks: [(tag: UInt64, multiple: Bool)] = []
    var requeued: [UInt64] = []
    var counts: [ConsumerMetrics.DeliveryOutcome: Int] = [:]
    var replyCounts: [ConsumerMetrics.ReplyOutcome: Int] = [:]
    var faults: [String] = []
    var problems: [String?] = []
    var degradations: [String] = []
    var renewals: [String] = []
    var processed = 0
    /// Tags delivered and not yet acknowledged or requeued, as the broker sees them.
    private(set) var unsettled: [UInt64] = []
    private(set) var acknowledged: [UInt64] = []
    private var lastTag: UInt64 = 0
    private var idsByTag: [UInt64: MessageID] = [:]

    init(rules: ConsumerRules = .test(), poisoned: Set<String> = []) {
        pipeline = ConsumerPipeline(rules: rules, poisoned: poisoned, now: .init(instant: .now, epochSeconds: 1_800_000_000))
    }

    /// Delivers hellos with the given ids (nil: no id), with the next tags; returns the tags.
    @discardableResult
    mutating func deliver(_ ids: [String?], replyTo: String? = nil, bodySize: UInt64 = 5, type: String? = "hello") -> [UInt64] {
        let deliveries = ids.map { id -> Delivery in
            lastTag += 1
            let message = Message(messageID: id.map { MessageID($0) }, replyTo: replyTo, type: type)
            idsByTag[lastTag] = message.messageID
            return Delivery(tag: lastTag, redelivered: false, message: message, bodySize: bodySize)
        }
        unsettled += deliveries.map(\.tag)
        pipeline.received(deliveries)
        run()
        return deliveries.map(\.tag)
    }

    /// Gives the outcome of `tickets` (default: every outstanding one) and runs.
    mutating func resolve(_ tickets: [UInt64]? = nil, as outcome: ConfirmTracker.Outcome = .confirmed) {
        let chosen = tickets ?? outstanding
        resolved.formUnion(chosen)
        pipeline.learned(Dictionary(uniqueKeysWithValues: chosen.map { ($0, outcome) }))
        run()
    }

    /// Moves the clock on and runs.
    mutating func advance(_ duration: Duration) {
        clock += duration
        epochSeconds += UInt64(duration.components.seconds)
        run()
    }

    /// Performs the pipeline's actions until it has none.
    mutating func run() {
        while let action = pipeline.nextAction(at: .init(instant: clock, epochSeconds: epochSeconds)) {
            perform(action)
        }
    }

    private mutating func perform(_ action: ConsumerAction) {
        switch action {
        case .askRedis(let request):
            if holdsRedisAnswers {
                unansweredRedis.append(request)
            } else {
                pipeline.redisAnswered(store.answering(request))
            }
        case .publish(let messages):
            var tickets: [UInt64] = []
            for (message, destination) in messages {
                published.append((nextTicket, message, destination))
                tickets.append(nextTicket)
                nextTicket += 1
            }
            pipeline.published(tickets: tickets)
        case .ack(let tag, let multiple):
            acks.append((tag, multiple))
            let covered = multiple ? unsettled.filter { $0 <= tag } : unsettled.filter { $0 == tag }
            precondition(!covered.isEmpty, "ack of \(tag) covers nothing unsettled")
            acknowledged += covered
            unsettled.removeAll { covered.contains($0) }
        case .requeue(let tag):
            precondition(unsettled.contains(tag))
            requeued.append(tag)
            unsettled.removeAll { $0 == tag }
        case .count(let outcome, let amount):
            counts[outcome, default: 0] += amount
        case .countReply(let outcome):
            replyCounts[outcome, default: 0] += 1
        case .processed(let count, _):
            processed += count
        case .fault(let fault):
            faults.append(fault.kind)
        case .log:
            break
        case .setProblem(let problem):
            problems.append(problem)
        case .degrade(let reason):
            degradations.append(reason)
        case .renewConnection(let reason):
            renewals.append(reason)
        }
    }

    /// Acknowledged deliveries with a publish still outstanding for them (a reply, or a
    /// dead-letter copy), and no other delivery of their id still unsettled that the publish
    /// could be for: a refusal of that publish would lose the hello. Empty unless the
    /// pipeline is wrong. Tells the delivery by its id.
    var acknowledgedWhileWithTheBroker: [UInt64] {
        let outstandingIDs = Set(published.filter { !resolved.contains($0.ticket) }.compactMap { $0.message.correlationID ?? $0.message.messageID })
        let unsettledIDs = Set(unsettled.compactMap { idsByTag[$0] })
        return acknowledged.filter { tag in idsByTag[tag].map { outstandingIDs.contains($0) && !unsettledIDs.contains($0) } ?? false }
    }

    /// Acknowledged deliveries whose ids are in a request Redis has not answered yet, with no
    /// other delivery of that id still unsettled that the request could be for: a count that
    /// fails then would be lost. Empty unless the pipeline is wrong.
    var acknowledgedWhileWithRedis: [UInt64] {
        let waiting = Set(unansweredRedis.flatMap { request -> [[UInt8]] in
            switch request {
            case .received(let ids), .sent(let ids): ids.compactMap { $0 }
            default: []
            }
        })
        let unsettledIDs = Set(unsettled.compactMap { idsByTag[$0]?.bytes })
        return acknowledged.filter { tag in
            idsByTag[tag].map { waiting.contains($0.bytes) && !unsettledIDs.contains($0.bytes) } ?? false
        }
    }

    /// The publishes that went to `destination`'s routing key.
    func published(to routingKey: String) -> [Message] {
        published.filter { $0.destination.routingKey == routingKey }.map(\.message)
    }
}
