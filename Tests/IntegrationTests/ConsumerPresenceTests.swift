import Counters
import Foundation
import RedisCounterStore
import ServiceTestSupport
import Testing

/// Heartbeats written by the consumer's store and read by the api's, through a real Redis,
/// including what someone else may have left under the same keys.
@Suite("Consumer heartbeats in a real Redis")
struct ConsumerPresenceTests {
    func heartbeat(_ instance: String, queueMessages: Int? = 7) -> ConsumerPresence {
        ConsumerPresence(instance: instance, node: "127.0.0.1:5672", inFlight: 3, receivedPerSecond: 12.5, sentPerSecond: 12,
                         queue: "hello", queueMessages: queueMessages, deadLetterQueue: "hello.dead", deadLetterMessages: 0,
                         sentAtMilliseconds: 1_700_000_000_000)
    }

    @Test func whatTheConsumerLeavesTheApiReads() async throws {
        let driver = try RedisDriver()
        #expect(await driver.waitUntilHealthy(seconds: 5))
        let writer = RedisBatchCounterStore(configuration: driver.configuration)
        try writer.leavePresence(heartbeat("b@host/2"), ttlMilliseconds: 10_000)
        try writer.leavePresence(heartbeat("a@host/1", queueMessages: nil), ttlMilliseconds: 10_000)
        let read = try await driver.presences().get()
        #expect(read == [heartbeat("a@host/1", queueMessages: nil), heartbeat("b@host/2")])
    }

    @Test func expiredHeartbeatsDropOffTheIndex() async throws {
        let driver = try RedisDriver()
        #expect(await driver.waitUntilHealthy(seconds: 5))
        let writer = RedisBatchCounterStore(configuration: driver.configuration)
        try writer.leavePresence(heartbeat("gone@host/1"), ttlMilliseconds: 50)
        try writer.leavePresence(heartbeat("alive@host/2"), ttlMilliseconds: 10_000)
        try await Task.sleep(for: .milliseconds(200))
        #expect(try await driver.presences().get().map(\.instance) == ["alive@host/2"])
        let redis = try TestServices.redis()
        #expect(try redis.run("SMEMBERS", driver.configuration.presenceKey) == .array([.bulk(Array("alive@host/2".utf8))]))
    }

    /// A key of another type, junk fields, a hash without an instance: each is skipped or
    /// read with defaults, and the good heartbeat still comes through.
    @Test func badDataUnderThePresenceKeysIsSkipped() async throws {
        let driver = try RedisDriver()
        #expect(await driver.waitUntilHealthy(seconds: 5))
        let key = driver.configuration.presenceKey
        let redis = try TestServices.redis()
        try redis.run("SADD", key, "string", "junk", "nameless")
        try redis.run("SET", key + ":string", "not a hash")
        try redis.run("HSET", key + ":junk", "instance", "junk", "inFlight", "many", "receivedPerSecond", "NaN", "queueMessages", "-x")
        try redis.run("HSET", key + ":nameless", "node", "n")
        let writer = RedisBatchCounterStore(configuration: driver.configuration)
        try writer.leavePresence(heartbeat("good@host/1"), ttlMilliseconds: 10_000)
        let read = try await driver.presences().get()
        #expect(read.map(\.instance) == ["good@host/1", "junk"])
        let junk = try #require(read.last)
        #expect(junk.inFlight == 0 && junk.receivedPerSecond == 0 && junk.queueMessages == nil)

        // The whole index of another type: no heartbeats, not an error.
        try redis.run("DEL", key)
        try redis.run("SET", key, "oops")
        #expect(try await driver.presences().get() == [])
    }
}
