import Counters
import CountersTestSupport
import Foundation
import LinuxIO
import Logging
import RedisCounterStore
import ServiceTestSupport
import Testing

/// Drives a counter store the way its owner would, whatever thread it lives on.
protocol StoreDriver: Sendable {
    func increment(_ counter: Counter) async -> Result<Int, CounterStoreError>
    func increment(_ counter: Counter, idempotencyKey: String) async -> Result<IdempotentCount, CounterStoreError>
    func value(_ counter: Counter) async -> Result<Int, CounterStoreError>
    func health() async -> Result<Void, CounterStoreError>
}

/// The in-memory fake, called directly.
struct MemoryDriver: StoreDriver, @unchecked Sendable {
    // Used from one test task at a time.
    let store = MemoryCounterStore()
    func increment(_ counter: Counter) async -> Result<Int, CounterStoreError> { sync { store.increment(counter, $0) } }
    func increment(_ counter: Counter, idempotencyKey key: String) async -> Result<IdempotentCount, CounterStoreError> {
        sync { store.increment(counter, idempotencyKey: key, $0) }
    }
    func value(_ counter: Counter) async -> Result<Int, CounterStoreError> { sync { store.value(of: counter, $0) } }
    func health() async -> Result<Void, CounterStoreError> { sync { store.checkHealth($0) } }

    private func sync<T>(_ body: (@escaping (T) -> Void) -> Void) -> T {
        var result: T?
        body { result = $0 }
        return result!
    }
}

/// The Redis store, on a loop thread of its own.
final class RedisDriver: StoreDriver, @unchecked Sendable {
    // The store is created and used on the loop thread only.
    let thread: LoopThread
    private var store: RedisCounterStore!
    let configuration: RedisCounterStore.Configuration

    init(redisURL: String = TestServices.redisURL, timeoutMilliseconds: Int = 1000, minReplicas: Int = 0) throws {
        let components = URLComponents(string: redisURL)!
        configuration = RedisCounterStore.Configuration(
            host: components.host!, port: components.port!, timeoutMilliseconds: timeoutMilliseconds,
            receivedKey: TestServices.uniqueName("it-received"), sentKey: TestServices.uniqueName("it-sent"),
            dedupePrefix: TestServices.uniqueName("it-dedupe") + ":", presenceKey: TestServices.uniqueName("it-presence"),
            minReplicas: minReplicas, replicaTimeoutMilliseconds: 200
        )
        thread = try LoopThread()
        let configuration = self.configuration
        store = thread.runBlocking { loop in
            RedisCounterStore(loop: loop, configuration: configuration, logger: Logger(label: "test"))
        }
    }

    deinit {
        // The store's timers refer to it; the loop must be gone before the store is.
        thread.stop()
    }

    func onStore<T>(_ body: @escaping (RedisCounterStore, @escaping (T) -> Void) -> Void) async -> T {
        let store = UncheckedBox(self.store!)
        return await thread.run { _, done in body(store.value, done) }
    }

    func increment(_ counter: Counter) async -> Result<Int, CounterStoreError> { await onStore { $0.increment(counter, $1) } }
    func increment(_ counter: Counter, idempotencyKey key: String) async -> Result<IdempotentCount, CounterStoreError> {
        await onStore { $0.increment(counter, idempotencyKey: key, $1) }
    }
    func value(_ counter: Counter) async -> Result<Int, CounterStoreError> { await onStore { $0.value(of: counter, $1) } }
    func health() async -> Result<Void, CounterStoreError> { await onStore { $0.checkHealth($1) } }
    func presences() async -> Result<[ConsumerPresence], CounterStoreError> { await onStore { $0.consumerPresences($1) } }

    /// `count` increments issued in one loop task, so they leave as one pipelined batch; the
    /// values their completions got, in the order they came (-1 for a failure).
    func incrementsInOneWakeUp(_ counter: Counter, count: Int) async -> [Int] {
        await onStore { store, done in
            var results: [Int] = []
            for _ in 0..<count {
                store.increment(counter) { result in
                    results.append((try? result.get()) ?? -1)
                    if results.count == count { done(results) }
                }
            }
        }
    }

    /// Waits until the store answers again (after a fault), up to `seconds`.
    func waitUntilHealthy(seconds: Double) async -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if case .success = await health() { return true }
            try? await Task.sleep(for: .milliseconds(50))
        }
        return false
    }
}

/// One contract, run against the fake and against the real Redis.
func checkContract(_ driver: some StoreDriver) async throws {
    #expect(try await driver.value(.received).get() == 0)
    #expect(try await driver.value(.sent).get() == 0)
    #expect(try await driver.increment(.received).get() == 1)
    #expect(try await driver.increment(.received).get() == 2)
    #expect(try await driver.increment(.sent).get() == 1)
    #expect(try await driver.value(.received).get() == 2)
    #expect(try await driver.value(.sent).get() == 1)
    let health = await driver.health()
    #expect(throws: Never.self) { try health.get() }

    // An idempotency key counts once per counter; a repeat gets the first count back.
    #expect(try await driver.increment(.received, idempotencyKey: "order-1").get() == IdempotentCount(value: 3, isReplay: false))
    #expect(try await driver.increment(.received, idempotencyKey: "order-1").get() == IdempotentCount(value: 3, isReplay: true))
    #expect(try await driver.increment(.received).get() == 4)
    #expect(try await driver.increment(.received, idempotencyKey: "order-1").get() == IdempotentCount(value: 3, isReplay: true))
    #expect(try await driver.increment(.received, idempotencyKey: "order-2").get() == IdempotentCount(value: 5, isReplay: false))
    #expect(try await driver.increment(.sent, idempotencyKey: "order-1").get() == IdempotentCount(value: 2, isReplay: false))
    #expect(try await driver.value(.received).get() == 5)
}

@Suite("Counter store contract")
struct CounterStoreContractTests {
    @Test func memoryStore() async throws {
        try await checkContract(MemoryDriver())
    }

    @Test func redisStore() async throws {
        _ = try TestServices.redis()
        let driver = try RedisDriver()
        try await checkContract(driver)
        let redis = try TestServices.redis()
        #expect(try redis.count(driver.configuration.receivedKey) == 5)
        try redis.delete(driver.configuration.receivedKey, driver.configuration.sentKey)
        try redis.deleteKeys(prefixed: driver.configuration.dedupePrefix)
    }
}
