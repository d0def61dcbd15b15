/// Counts hellos and their replies from a thread of its own (the consumer's), a batch at a
/// time, blocking for at most the store's timeout.
///
/// Counting is idempotent per message id: a hello delivered twice (redelivery after a crash,
/// or a publisher that sent it twice) moves each counter at most once within the retention
/// window. Messages without an id are counted every time they come (at least once).
public protocol BatchCounterStore: AnyObject {
    /// Counts the received hellos with these ids (nil: no id) and reports, for each, whether
    /// its reply was already counted as sent.
    func countReceived(_ messageIDs: [String?]) throws(CounterStoreError) -> [ReceivedHello]

    /// Counts the confirmed replies to the hellos with these ids.
    func countSent(_ messageIDs: [String?]) throws(CounterStoreError)

    /// Whether the store answers now.
    func checkHealth() throws(CounterStoreError)
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
