import Counters
import Foundation
import RedisCounterStore
import ServiceTestSupport
import Testing

@Suite("Idempotent batch counting against a real Redis")
struct RedisBatchCounterStoreTests {
    func makeStore(dedupeSeconds: Int = 86_400) throws -> (RedisBatchCounterStore, RedisCounterStore.Configuration, RedisTestClient) {
        let redis = try TestServices.redis()
        let endpoint = TestServices.redisEndpoint
        let configuration = RedisCounterStore.Configuration(
            host: endpoint.host, port: endpoint.port,
            receivedKey: TestServices.uniqueName("b-received"), sentKey: TestServices.uniqueName("b-sent"),
            dedupePrefix: TestServices.uniqueName("dedupe") + ":", dedupeSeconds: dedupeSeconds
        )
        return (RedisBatchCounterStore(configuration: configuration), configuration, redis)
    }

    @Test func eachIDCountsOnce() throws {
        let (store, configuration, redis) = try makeStore()
        let first = try store.countReceived(["a", "b", "c"])
        #expect(first.allSatisfy { $0.isFirstDelivery && !$0.isAlreadyAnswered })
        let again = try store.countReceived(["b", "c", "d"])
        #expect(again.map(\.isFirstDelivery) == [false, false, true])
        #expect(try redis.count(configuration.receivedKey) == 4)
    }

    @Test func answeredHellosAreReportedAndSentCountsOnce() throws {
        let (store, configuration, redis) = try makeStore()
        _ = try store.countReceived(["a", "b"])
        try store.countSent(["a"])
        try store.countSent(["a"])
        #expect(try redis.count(configuration.sentKey) == 1)
        let redelivered = try store.countReceived(["a", "b"])
        #expect(redelivered.map(\.isAlreadyAnswered) == [true, false])
        #expect(redelivered.map(\.isFirstDelivery) == [false, false])
        #expect(try redis.count(configuration.receivedKey) == 2)
    }

    @Test func hellosWithoutIDsCountEveryTime() throws {
        let (store, configuration, redis) = try makeStore()
        _ = try store.countReceived([nil, "a", nil])
        _ = try store.countReceived([nil, "a"])
        try store.countSent([nil, nil])
        #expect(try redis.count(configuration.receivedKey) == 4)
        #expect(try redis.count(configuration.sentKey) == 2)
    }

    @Test func marksExpire() throws {
        let (store, configuration, redis) = try makeStore(dedupeSeconds: 120)
        _ = try store.countReceived(["x"])
        let ttl = try redis.run("TTL", "\(configuration.dedupePrefix)received:x").integerValue ?? -1
        #expect(ttl > 0 && ttl <= 120)
    }

    @Test func scriptsAreReloadedAfterRedisForgetsThem() throws {
        let server = try RedisServerProcess()
        let configuration = RedisCounterStore.Configuration(host: "127.0.0.1", port: server.port)
        let store = RedisBatchCounterStore(configuration: configuration)
        _ = try store.countReceived(["a"])
        let redis = try RedisTestClient(host: "127.0.0.1", port: server.port)
        try redis.run("SCRIPT", "FLUSH")
        _ = try store.countReceived(["b"])
        #expect(try redis.count(configuration.receivedKey) == 2)
    }
}
