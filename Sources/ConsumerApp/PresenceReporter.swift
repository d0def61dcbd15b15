import Counters
import Glibc
import LinuxIO
import Synchronization

/// What the consumer tells the status page about itself every few seconds: its heartbeat
/// (name, node, in-flight, rates) and the depths of its queues. Decides when a report is
/// due and what it says; the session asks the broker and writes to Redis.
///
/// Kept across sessions, so the rates run on over a reconnect. One per process, shared by
/// the consumer's channels (`amqp.channels`): each counts into it and says what it holds,
/// the first one reports.
final class PresenceReporter: Sendable {
    /// `serviceName@host/pid`: unique per process, readable on the page.
    let instance: String
    let queue: String
    let deadLetterQueue: String?
    let interval: Duration
    /// Three missed heartbeats and the instance drops off the page.
    var ttlMilliseconds: Int {
        3 * (Int(interval.components.seconds) * 1000 + Int(interval.components.attoseconds / 1_000_000_000_000_000))
    }

    private struct State {
        var lastReport: ContinuousClock.Instant?
        var receivedSinceReport = 0
        var sentSinceReport = 0
        /// Deliveries each channel holds unsettled, by channel.
        var inFlight: [Int: Int] = [:]
    }

    private let state = Mutex(State())

    init(serviceName: String, queue: String, deadLetterQueue: String?, interval: Duration = .seconds(2)) {
        instance = "\(serviceName)@\(Self.hostName())/\(getpid())"
        self.queue = queue
        self.deadLetterQueue = deadLetterQueue
        self.interval = interval
    }

    /// The queues whose depths a report carries.
    var queues: [String] { [queue] + (deadLetterQueue.map { [$0] } ?? []) }

    func counted(_ outcome: ConsumerMetrics.DeliveryOutcome, _ amount: Int) {
        if outcome == .hello { state.withLock { $0.receivedSinceReport += amount } }
    }

    func counted(_ outcome: ConsumerMetrics.ReplyOutcome) {
        if outcome == .confirmed { state.withLock { $0.sentSinceReport += 1 } }
    }

    /// Records what channel `lane` holds unsettled; returns what all channels hold.
    func inFlight(lane: Int, _ count: Int) -> Int {
        state.withLock { state in
            state.inFlight[lane] = count
            return state.inFlight.values.reduce(0, +)
        }
    }

    func isDue(at now: ContinuousClock.Instant) -> Bool {
        guard let lastReport = state.withLock({ $0.lastReport }) else { return true }
        return now - lastReport >= interval
    }

    /// The heartbeat as of `now`; the rates cover the time since the last one.
    func report(at now: ContinuousClock.Instant, node: String, inFlight: Int, depths: [String: Int],
                wallClockMilliseconds: Int = WallClock.milliseconds()) -> ConsumerPresence {
        let (lastReport, received, sent) = state.withLock { state in
            defer {
                state.lastReport = now
                state.receivedSinceReport = 0
                state.sentSinceReport = 0
            }
            return (state.lastReport, state.receivedSinceReport, state.sentSinceReport)
        }
        let elapsed = lastReport.map { now - $0 } ?? .zero
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        let rate: (Int) -> Double = { seconds > 0 ? Double($0) / seconds : 0 }
        let presence = ConsumerPresence(
            instance: instance, node: node, inFlight: inFlight,
            receivedPerSecond: rate(received), sentPerSecond: rate(sent),
            queue: queue, queueMessages: depths[queue],
            deadLetterQueue: deadLetterQueue ?? "", deadLetterMessages: deadLetterQueue.flatMap { depths[$0] },
            sentAtMilliseconds: wallClockMilliseconds
        )
        return presence
    }

    private static func hostName() -> String {
        var buffer = [CChar](repeating: 0, count: 256)
        guard gethostname(&buffer, buffer.count) == 0 else { return "unknown" }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
