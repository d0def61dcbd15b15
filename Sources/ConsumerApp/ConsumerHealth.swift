import Synchronization

/// Whether the consumer is working, as its `/health` endpoint reports it. Written by the
/// consumer thread, read by the metrics server's loop.
///
/// Two levels: a problem stops the work (the broker or Redis is gone: 503); a degradation
/// lets it go on while something is wrong for some messages (replies refused by a
/// requester's queue: 200 with the reason), and lapses once that stops happening.
public final class ConsumerHealth: Sendable {
    private struct State {
        var problem: String? = "starting"
        var degradation: (reason: String, until: ContinuousClock.Instant)?
    }

    private let state = Mutex(State())

    public init() {}

    /// Nil when working, else what stops the work.
    public var currentProblem: String? { state.withLock { $0.problem } }

    /// What is going wrong for some messages lately, or nil.
    public var currentDegradation: String? {
        state.withLock { state in
            guard let degradation = state.degradation, ContinuousClock.now < degradation.until else { return nil }
            return degradation.reason
        }
    }

    func set(_ newProblem: String?) {
        state.withLock { $0.problem = newProblem }
    }

    /// Reports `reason` as a degradation for the next `seconds`.
    func degrade(_ reason: String, forSeconds seconds: Int = 10) {
        state.withLock { $0.degradation = (reason, ContinuousClock.now + .seconds(seconds)) }
    }
}
