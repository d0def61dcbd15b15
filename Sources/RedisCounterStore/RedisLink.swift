import Counters
import Resilience

/// The life of the store's connection to Redis, apart from its socket: when to connect,
/// when a connect or a reply has taken too long, how long to wait after a failure, and what
/// is worth a log line. Pure, so back-off and timeouts are unit-tested without a server;
/// `RedisCounterStore` performs what it says. Times are the event loop's nanoseconds.
struct RedisLink {
    enum Phase: Equatable {
        /// No connection; the next attempt is due at `retryAt`.
        case disconnected(retryAt: UInt64)
        /// A TCP connect in progress since `since`.
        case connecting(since: UInt64)
        case connected
    }

    /// What the store should do when the clock ticks.
    enum Action: Equatable {
        case none
        /// Start connecting now.
        case connect
        /// Give up on the connection with this error.
        case fail(CounterStoreError)
    }

    /// What a failure leads to.
    struct Failure: Equatable {
        /// The wait before the next attempt.
        var retryIn: Duration
        /// Whether to log it: the first failure of an outage, or a different kind of
        /// failure, not every attempt.
        var isNews: Bool
    }

    private(set) var phase = Phase.disconnected(retryAt: 0)
    /// Failures since Redis last answered.
    private(set) var failures = 0
    /// The failure calls fail with at once while disconnected.
    private(set) var lastError: CounterStoreError?
    private var hasConnectedBefore = false
    private let reconnect: Backoff
    private let timeoutMilliseconds: Int

    init(reconnect: Backoff, timeoutMilliseconds: Int) {
        self.reconnect = reconnect
        self.timeoutMilliseconds = timeoutMilliseconds
    }

    /// How long a connect or a reply may take.
    var timeout: UInt64 { UInt64(timeoutMilliseconds) * 1_000_000 }

    /// A connect was started.
    mutating func connecting(now: UInt64) {
        phase = .connecting(since: now)
    }

    /// The connect completed. Returns whether it was a reconnect (counted) and whether it is
    /// worth a log line (the first connection, made without trouble).
    mutating func connected() -> (isReconnect: Bool, isNews: Bool) {
        phase = .connected
        defer { hasConnectedBefore = true }
        return (hasConnectedBefore, failures == 0)
    }

    /// Connecting or the connection failed with `error`: the next attempt waits for the
    /// back-off, which grows until Redis answers again.
    mutating func failed(_ error: CounterStoreError, now: UInt64, using generator: inout some RandomNumberGenerator) -> Failure {
        failures += 1
        let delay = reconnect.delay(afterFailures: failures, using: &generator)
        let isNews = failures == 1 || lastError?.code != error.code
        lastError = error
        phase = .disconnected(retryAt: now + UInt64(delay.components.seconds) * 1_000_000_000
            + UInt64(delay.components.attoseconds / 1_000_000_000))
        return Failure(retryIn: delay, isNews: isNews)
    }

    mutating func failed(_ error: CounterStoreError, now: UInt64) -> Failure {
        var generator = SystemRandomNumberGenerator()
        return failed(error, now: now, using: &generator)
    }

    /// Redis answered a command with something other than an error: the connection is set
    /// up and usable (a refused AUTH is an error reply), so the back-off starts over.
    /// Returns whether this ends an outage.
    mutating func answered() -> Bool {
        defer {
            failures = 0
            lastError = nil
        }
        return failures > 0
    }

    /// What is due at `now`, given the deadline of the oldest reply awaited.
    func tick(now: UInt64, oldestReplyDeadline: UInt64?) -> Action {
        switch phase {
        case .disconnected(let retryAt):
            return now >= retryAt ? .connect : .none
        case .connecting(let since):
            return now - since > timeout ? .fail(CounterStoreError(reason: "connect timed out after \(timeoutMilliseconds) ms")) : .none
        case .connected:
            guard let deadline = oldestReplyDeadline, deadline <= now else { return .none }
            return .fail(CounterStoreError(reason: "no reply within \(timeoutMilliseconds) ms"))
        }
    }
}
