import Counters
@testable import RedisCounterStore
import Resilience
import TestSupport
import Testing

@Suite("Redis link: connecting, timeouts and back-off")
struct RedisLinkTests {
    let refused = CounterStoreError(reason: "Connection refused")
    let ms: UInt64 = 1_000_000

    /// 50 ms doubling to 2 s without jitter, 1 s timeouts.
    static func makeLink() -> RedisLink {
        RedisLink(reconnect: Backoff(initial: .milliseconds(50), maximum: .seconds(2), jitter: false), timeoutMilliseconds: 1000)
    }

    @Test func connectsAtOnceAtStart() {
        #expect(Self.makeLink().tick(now: 0, oldestReplyDeadline: nil) == .connect)
    }

    @Test func aSlowConnectTimesOut() {
        var link = Self.makeLink()
        link.connecting(now: 0)
        #expect(link.tick(now: 1000 * ms, oldestReplyDeadline: nil) == .none)
        #expect(link.tick(now: 1001 * ms, oldestReplyDeadline: nil) == .fail(CounterStoreError(reason: "connect timed out after 1000 ms")))
    }

    @Test func aLateReplyFailsTheConnection() {
        var link = Self.makeLink()
        link.connecting(now: 0)
        _ = link.connected()
        #expect(link.tick(now: 500 * ms, oldestReplyDeadline: 600 * ms) == .none)
        #expect(link.tick(now: 600 * ms, oldestReplyDeadline: 600 * ms) == .fail(CounterStoreError(reason: "no reply within 1000 ms")))
        #expect(link.tick(now: 600 * ms, oldestReplyDeadline: nil) == .none, "nothing awaited, nothing late")
    }

    @Test func theBackOffGrowsUntilRedisAnswers() {
        var link = Self.makeLink()
        var now: UInt64 = 0
        var waits: [Duration] = []
        for _ in 0..<8 {
            waits.append(link.failed(refused, now: now).retryIn)
            guard case .disconnected(let retryAt) = link.phase else {
                Issue.record("not disconnected after a failure")
                return
            }
            #expect(link.tick(now: retryAt - 1, oldestReplyDeadline: nil) == .none)
            #expect(link.tick(now: retryAt, oldestReplyDeadline: nil) == .connect)
            now = retryAt
            link.connecting(now: now)
        }
        #expect(waits == [50, 100, 200, 400, 800, 1600, 2000, 2000].map { Duration.milliseconds($0) })
        _ = link.connected()
        let endsOutage = link.answered()
        #expect(endsOutage, "the first answer ends the outage")
        let again = link.answered()
        #expect(!again)
        #expect(link.failed(refused, now: now).retryIn == .milliseconds(50), "and the back-off starts over")
    }

    @Test func anOutageIsLoggedOncePerKindOfFailure() {
        var link = Self.makeLink()
        #expect(link.failed(refused, now: 0).isNews)
        #expect(!link.failed(CounterStoreError(reason: "Connection reset by peer"), now: 0).isNews, "same code, other words")
        #expect(link.failed(CounterStoreError(.refused, reason: "WRONGPASS"), now: 0).isNews)
        #expect(!link.failed(CounterStoreError(.refused, reason: "WRONGPASS"), now: 0).isNews)
        #expect(link.lastError?.code == .refused, "what calls fail with meanwhile")
    }

    @Test func onlyTheFirstConnectionIsNewsAndOnlyLaterOnesAreReconnects() {
        var link = Self.makeLink()
        link.connecting(now: 0)
        let first = link.connected()
        #expect(!first.isReconnect && first.isNews)
        _ = link.failed(refused, now: 0)
        link.connecting(now: 0)
        let again = link.connected()
        #expect(again.isReconnect && !again.isNews, "the recovery is logged when Redis answers")
    }

    @Test func jitteredWaitsStayUnderTheLimit() {
        let backoff = Backoff(initial: .milliseconds(50), maximum: .seconds(2))
        var link = RedisLink(reconnect: backoff, timeoutMilliseconds: 1000)
        var generator = SplitMix(seed: 3)
        for failures in 1...10 {
            let wait = link.failed(refused, now: 0, using: &generator).retryIn
            #expect(wait >= .zero && wait <= backoff.limit(afterFailures: failures))
        }
    }
}

@Suite("Redis error replies as counter-store errors")
struct CounterStoreErrorMappingTests {
    @Test func ourScriptsCheckIsInvalidData() {
        let error = CounterStoreError(redisReply: "BIGGOAL_INVALID_COUNTER counter received_hello holds a non-integer value", key: "x")
        #expect(error.code == .invalidData)
        #expect(error.reason == "counter received_hello holds a non-integer value")
    }

    @Test func incrOnTextAndWrongTypeAreInvalidData() {
        #expect(CounterStoreError(redisReply: "ERR value is not an integer or out of range", key: "k").code == .invalidData)
        #expect(CounterStoreError(redisReply: "WRONGTYPE Operation against a key holding the wrong kind of value", key: "k").code == .invalidData)
    }

    @Test func anythingElseIsRedisRefusing() {
        let error = CounterStoreError(redisReply: "NOSCRIPT No matching script", key: "k")
        #expect(error.code == .unavailable)
        #expect(error.reason.contains("NOSCRIPT"))
    }
}
