/// Where the counts live. Implementations are bound to one event-loop thread and call every
/// completion exactly once, on that thread; none of them blocks.
public protocol CounterStore: AnyObject {
    /// Adds one to `counter` and reports the new value.
    func increment(_ counter: Counter, _ completion: @escaping (Result<Int, CounterStoreError>) -> Void)

    /// Adds one to `counter` unless a request with the same `key` already did within the
    /// dedupe window, and reports the count that first request produced. Atomic: the key is
    /// recorded with the increment or not at all.
    func increment(_ counter: Counter, idempotencyKey key: String, _ completion: @escaping (Result<IdempotentCount, CounterStoreError>) -> Void)

    /// Reports the value of `counter`; 0 when it was never incremented.
    func value(of counter: Counter, _ completion: @escaping (Result<Int, CounterStoreError>) -> Void)

    /// Reports whether the store answers.
    func checkHealth(_ completion: @escaping (Result<Void, CounterStoreError>) -> Void)

    /// Reports the heartbeats of the consumer instances alive now, by instance name.
    func consumerPresences(_ completion: @escaping (Result<[ConsumerPresence], CounterStoreError>) -> Void)
}

/// The answer to an increment that carried an idempotency key.
public struct IdempotentCount: Sendable, Equatable {
    /// The count the first request with this key produced.
    public var value: Int
    /// True when this request repeated an earlier one and counted nothing.
    public var isReplay: Bool

    public init(value: Int, isReplay: Bool) {
        self.value = value
        self.isReplay = isReplay
    }
}
