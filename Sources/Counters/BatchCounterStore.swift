/// Counts hellos and their replies from a thread of its own (the consumer's), a batch at a
/// time, blocking for at most the store's timeout.
///
/// Counting is idempotent per message id: a hello delivered twice (redelivery after a crash,
/// or a publisher that sent it twice) moves each counter at most once within the retention
/// window. Messages without an id are counted every time they come (at least once). Ids are
/// raw bytes, as the publisher sent them.
///
/// Every call is all or nothing: one that throws has written nothing.
public protocol BatchCounterStore: AnyObject {
    /// Counts the received hellos with these ids (nil: no id) and reports, for each, whether
    /// its reply was already counted as sent. The ids of one call are distinct.
    func countReceived(_ messageIDs: [[UInt8]?]) throws(CounterStoreError) -> [ReceivedHello]

    /// Counts the confirmed replies to the hellos with these ids.
    func countSent(_ messageIDs: [[UInt8]?]) throws(CounterStoreError)

    /// Records one failed attempt at answering the hello with this id, at `now` (seconds
    /// since the Unix epoch); the record lives as long as the dedupe marks.
    func recordFailedAttempt(_ messageID: [UInt8], now: UInt64) throws(CounterStoreError) -> FailedAttempts

    /// Whether the store answers now.
    func checkHealth() throws(CounterStoreError)

    /// Leaves this instance's heartbeat, to expire after `ttlMilliseconds` unless renewed.
    func leavePresence(_ presence: ConsumerPresence, ttlMilliseconds: Int) throws(CounterStoreError)
}

/// What the store knew about a hello when it was counted.
public struct ReceivedHello: Sendable, Equatable {
    /// False when this id had been counted before: a duplicate.
    public var isFirstDelivery: Bool
    /// True when the reply to this id was already confirmed and counted: do not send another.
    public var isAlreadyAnswered: Bool

    public init(isFirstDelivery: Bool, isAlreadyAnswered: Bool) {
        self.isFirstDelivery = isFirstDelivery
        self.isAlreadyAnswered = isAlreadyAnswered
    }
}

/// The failed attempts at answering one hello.
public struct FailedAttempts: Sendable, Equatable {
    public var count: Int
    /// Seconds since the Unix epoch.
    public var firstFailure: UInt64
    public var lastFailure: UInt64

    public init(count: Int, firstFailure: UInt64, lastFailure: UInt64) {
        self.count = count
        self.firstFailure = firstFailure
        self.lastFailure = lastFailure
    }
}
