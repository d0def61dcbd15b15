import Counters
import Foundation
import LinuxIO
import Logging
import RedisCounterStore
import ServiceTestSupport
import Testing

@Suite("Redis counter store against a real Redis", .serialized)
struct RedisCounterStoreTests {
    @Test func commandsOfOneWakeUpArePipelinedAndAnsweredInOrder() async throws {
        _ = try TestServices.redis()
        let driver = try RedisDriver()
        _ = await driver.waitUntilHealthy(seconds: 5)
        // 2,000 increments issued in one loop task leave as one batch; each completion gets
        // its own new value, in order.
        #expect(await driver.incrementsInOneWakeUp(.received, count: 2000) == Array(1...2000))
        let redis = try TestServices.redis()
        #expect(try redis.count(driver.configuration.receivedKey) == 2000)
        try redis.delete(driver.configuration.receivedKey)
    }

    @Test func frozenRedisFailsWithinTheTimeoutAndRecovers() async throws {
        let server = try RedisServerProcess()
        let driver = try RedisDriver(redisURL: server.url, timeoutMilliseconds: 300)
        #expect(await driver.waitUntilHealthy(seconds: 5))
        #expect(try await driver.increment(.received).get() == 1)

        server.freeze()
        let started = Date()
        let frozen = await driver.increment(.received)
        let waited = Date().timeIntervalSince(started)
        #expect(throws: CounterStoreError.self) { try frozen.get() }
        // Without the deadline it would wait until Redis thaws; the slack is for a loop
        // thread that the whole suite running on two cores keeps from the CPU.
        #expect(waited < 2.5, "took \(waited) s with a 300 ms timeout")

        server.thaw()
        #expect(await driver.waitUntilHealthy(seconds: 5))
        // The increment that timed out may or may not have been applied; the next one counts.
        let after = try await driver.increment(.received).get()
        #expect(after >= 2)
    }

    @Test func reconnectsAfterRedisRestarts() async throws {
        let server = try RedisServerProcess()
        let driver = try RedisDriver(redisURL: server.url)
        #expect(await driver.waitUntilHealthy(seconds: 5))
        #expect(try await driver.increment(.sent).get() == 1)

        server.kill()
        let down = await driver.increment(.sent)
        #expect(throws: CounterStoreError.self) { try down.get() }
        // While Redis is down, calls fail at once instead of waiting.
        let started = Date()
        _ = await driver.value(.sent)
        #expect(Date().timeIntervalSince(started) < 1.2)

        try server.start()
        #expect(await driver.waitUntilHealthy(seconds: 10))
        // Append-only persistence kept the count across the restart.
        #expect(try await driver.increment(.sent).get() == 2)
    }

    @Test func healthReportsTheReasonWhileDown() async throws {
        let port = try freePort()
        let driver = try RedisDriver(redisURL: "redis://127.0.0.1:\(port)/0", timeoutMilliseconds: 300)
        let health = await driver.health()
        guard case .failure(let error) = health else {
            Issue.record("health succeeded with no Redis")
            return
        }
        #expect(!error.reason.isEmpty)
    }

    @Test func theIdempotentScriptIsSentAgainWhenRedisForgotIt() async throws {
        let server = try RedisServerProcess()
        let driver = try RedisDriver(redisURL: server.url)
        #expect(await driver.waitUntilHealthy(seconds: 5))
        #expect(try await driver.increment(.received, idempotencyKey: "a").get() == IdempotentCount(value: 1, isReplay: false))
        // By now the store knows the script's SHA; a failover to a server that never saw the
        // script looks like this to it.
        let client = try RedisTestClient(host: "127.0.0.1", port: server.port)
        _ = try client.run("SCRIPT", "FLUSH")
        #expect(try await driver.increment(.received, idempotencyKey: "b").get() == IdempotentCount(value: 2, isReplay: false))
        #expect(try await driver.increment(.received, idempotencyKey: "a").get() == IdempotentCount(value: 1, isReplay: true))
    }
}
