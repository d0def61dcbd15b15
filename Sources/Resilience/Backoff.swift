/// How long to wait before trying again after consecutive failures: `initial` after the
/// first, `multiplier` times longer after each further one, never more than `maximum`.
///
/// With `jitter`, the wait is drawn uniformly between zero and that figure ("full jitter"):
/// when Redis or the broker comes back, clients that lost it at the same moment then return
/// spread out instead of all in the same instant.
public struct Backoff: Sendable, Equatable {
    public var initial: Duration
    public var multiplier: Double
    public var maximum: Duration
    public var jitter: Bool

    public init(initial: Duration, multiplier: Double = 2, maximum: Duration, jitter: Bool = true) {
        precondition(initial >= .zero && maximum >= initial && multiplier >= 1, "a back-off grows from initial to maximum")
        self.initial = initial
        self.multiplier = multiplier
        self.maximum = maximum
        self.jitter = jitter
    }

    /// The longest wait after `failures` consecutive failures (at least one).
    public func limit(afterFailures failures: Int) -> Duration {
        let cap = Self.seconds(maximum)
        var seconds = Self.seconds(initial)
        for _ in 1..<max(1, failures) where seconds < cap { seconds *= multiplier }
        return seconds >= cap ? maximum : .nanoseconds(Int64(seconds * 1e9))
    }

    /// The wait after `failures` consecutive failures: the limit, or with `jitter` a random
    /// share of it drawn from `generator`.
    public func delay(afterFailures failures: Int, using generator: inout some RandomNumberGenerator) -> Duration {
        let limit = limit(afterFailures: failures)
        guard jitter else { return limit }
        let nanoseconds = Int64(Self.seconds(limit) * 1e9)
        return .nanoseconds(nanoseconds > 0 ? Int64.random(in: 0...nanoseconds, using: &generator) : 0)
    }

    /// The wait after `failures` consecutive failures, jittered with the system's generator.
    public func delay(afterFailures failures: Int) -> Duration {
        var generator = SystemRandomNumberGenerator()
        return delay(afterFailures: failures, using: &generator)
    }

    private static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }
}
