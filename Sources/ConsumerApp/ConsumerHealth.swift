import Synchronization

/// Whether the consumer is working, as its `/health` endpoint reports it. Written by the
/// consumer's channels (`amqp.channels`, each on its own thread), read by the metrics
/// server's loop. The consumer works when every channel does.
///
/// Two levels: a problem stops the work (the broker or Redis is gone: 503); a degradation
/// lets it go on while something is wrong for some messages (replies refused by a
/// requester's queue: 200 with the reason), and lapses once that stops happening.
public final class ConsumerHealth: Sendable {
    private struct State {
        /// What stops each channel's work, by channel; nil when it works.
        var problems: [String?]
        var degradation: (reason: String, until: ContinuousClock.Instant)?
    }

    private let state: Mutex<State>

    public init(channels: Int = 1) {
        state = Mutex(State(problems: Array(repeating: "starting", count: max(1, channels))))
    }

    /// Nil when working, else what stops the work (the first channel's problem, named by its
    /// number when there are several).
    public var currentProblem: String? {
        state.withLock { state in
            guard let lane = state.problems.firstIndex(where: { $0 != nil }), let problem = state.problems[lane] else { return nil }
            return state.problems.count == 1 ? problem : "channel \(lane + 1) of \(state.problems.count): \(problem)"
        }
    }

    /// What stops channel `lane`'s work, or nil.
    func problem(lane: Int) -> String? {
        state.withLock { $0.problems[lane] }
    }

    /// What is going wrong for some messages lately, or nil.
    public var currentDegradation: String? {
        state.withLock { state in
            guard let degradation = state.degradation, ContinuousClock.now < degradation.until else { return nil }
            return degradation.reason
        }
    }

    func set(_ newProblem: String?, lane: Int = 0) {
        state.withLock { $0.problems[lane] = newProblem }
    }

    /// Reports `reason` as a degradation for the next `seconds`.
    func degrade(_ reason: String, forSeconds seconds: Int = 10) {
        state.withLock { $0.degradation = (reason, ContinuousClock.now + .seconds(seconds)) }
    }
}
