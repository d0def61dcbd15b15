import Counters

/// An in-memory `CounterStore` for unit tests of the logic above the store. It can be told
/// to fail, to stand in for a Redis that is down.
public final class MemoryCounterStore: CounterStore {
    public private(set) var counts: [Counter: Int] = [:]
    /// When set, every call fails with this error.
    public var failure: CounterStoreError?

    public init() {}

    public func increment(_ counter: Counter, _ completion: @escaping (Result<Int, CounterStoreError>) -> Void) {
        if let failure { return completion(.failure(failure)) }
        counts[counter, default: 0] += 1
        completion(.success(counts[counter]!))
    }

    /// The count each idempotency key's first request produced, per counter.
    public private(set) var idempotencyKeys: [Counter: [String: Int]] = [:]

    public func increment(_ counter: Counter, idempotencyKey key: String, _ completion: @escaping (Result<IdempotentCount, CounterStoreError>) -> Void) {
        if let failure { return completion(.failure(failure)) }
        if let earlier = idempotencyKeys[counter]?[key] { return completion(.success(IdempotentCount(value: earlier, isReplay: true))) }
        counts[counter, default: 0] += 1
        idempotencyKeys[counter, default: [:]][key] = counts[counter]!
        completion(.success(IdempotentCount(value: counts[counter]!, isReplay: false)))
    }

    public func value(of counter: Counter, _ completion: @escaping (Result<Int, CounterStoreError>) -> Void) {
        if let failure { return completion(.failure(failure)) }
        completion(.success(counts[counter, default: 0]))
    }

    public func checkHealth(_ completion: @escaping (Result<Void, CounterStoreError>) -> Void) {
        if let failure { return completion(.failure(failure)) }
        completion(.success(()))
    }

    /// What `consumerPresences` answers.
    public var presences: [ConsumerPresence] = []

    public func consumerPresences(_ completion: @escaping (Result<[ConsumerPresence], CounterStoreError>) -> Void) {
        if let failure { return completion(.failure(failure)) }
        completion(.success(presences))
    }
}
