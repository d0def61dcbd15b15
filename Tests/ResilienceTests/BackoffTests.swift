import Resilience
import TestSupport
import Testing

@Suite("Backoff")
struct BackoffTests {
    @Test func growsByTheMultiplierUpToTheMaximum() {
        let backoff = Backoff(initial: .milliseconds(50), multiplier: 2, maximum: .seconds(2), jitter: false)
        let limits = (1...9).map { backoff.limit(afterFailures: $0) }
        #expect(limits == [50, 100, 200, 400, 800, 1600, 2000, 2000, 2000].map { Duration.milliseconds($0) })
        #expect(backoff.delay(afterFailures: 3) == .milliseconds(200))
    }

    @Test func zeroOrNegativeFailuresWaitTheInitialTime() {
        let backoff = Backoff(initial: .milliseconds(250), maximum: .seconds(10), jitter: false)
        #expect(backoff.limit(afterFailures: 0) == .milliseconds(250))
        #expect(backoff.limit(afterFailures: -5) == .milliseconds(250))
    }

    @Test func manyFailuresDoNotOverflow() {
        let backoff = Backoff(initial: .milliseconds(500), multiplier: 3, maximum: .seconds(30), jitter: false)
        #expect(backoff.limit(afterFailures: 10_000) == .seconds(30))
    }

    @Test func fullJitterStaysBetweenZeroAndTheLimit() {
        let backoff = Backoff(initial: .milliseconds(100), maximum: .seconds(1), jitter: true)
        var generator = SplitMix(seed: 7)
        let delays = (0..<500).map { _ in backoff.delay(afterFailures: 4, using: &generator) }
        #expect(delays.allSatisfy { $0 >= .zero && $0 <= .milliseconds(800) })
        // Spread out, not all at the limit: that is the point of jitter.
        #expect(delays.min()! < .milliseconds(100))
        #expect(delays.max()! > .milliseconds(700))
    }

    @Test func aMultiplierOfOneIsAFixedWait() {
        let backoff = Backoff(initial: .seconds(1), multiplier: 1, maximum: .seconds(1), jitter: false)
        #expect((1...5).map { backoff.limit(afterFailures: $0) } == Array(repeating: .seconds(1), count: 5))
    }
}
