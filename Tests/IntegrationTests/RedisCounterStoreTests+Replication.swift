import Counters
import Foundation
import RedisCounterStore
import Redis
import ServiceTestSupport
import Testing

/// `redis.minReplicas`: a counting write is done only once that many replicas hold it. Each
/// test runs a private master and a replica of it; they share the suite's one-at-a-time
/// order, so the waits they block on never stretch the timing tests beside them.
extension RedisCounterStoreTests {
    /// Starts a replica of `master` and waits until it acknowledges a write made after it
    /// connected (Redis first waits a few seconds for more replicas before it syncs).
    private func startReplica(of master: RedisServerProcess) throws -> RedisServerProcess {
        let replica = try RedisServerProcess(arguments: ["--replicaof", "127.0.0.1", "\(master.port)"])
        let client = try RedisTestClient(host: "127.0.0.1", port: master.port)
        let deadline = Date().addingTimeInterval(15)
        while Date() < deadline {
            _ = try client.run("SET", "replica-check", "1")
            if try client.run("WAIT", "1", "100") == .integer(1) { return replica }
            Thread.sleep(forTimeInterval: 0.05)
        }
        throw ServiceUnavailable("the replica on \(replica.port) never came online")
    }

    @Test func theAPIsStoreAnswersOnlyOnceAReplicaHoldsTheCount() async throws {
        let master = try RedisServerProcess(arguments: ["--repl-diskless-sync-delay", "0"])
        let driver = try RedisDriver(redisURL: master.url, minReplicas: 1)
        #expect(await driver.waitUntilHealthy(seconds: 5))

        // No replica: the count reached the master only, so the caller is told it failed.
        let alone = await driver.increment(.received)
        #expect(throws: CounterStoreError.self) { try alone.get() }
        if case .failure(let error) = alone {
            #expect(error.code == .unavailable)
            #expect(error.reason.contains("reached 0 of the 1 replicas"), "\(error.reason)")
        }
        let unconfirmed = await driver.increment(.sent, idempotencyKey: "k")
        #expect(throws: CounterStoreError.self) { try unconfirmed.get() }

        // With one, every write of a pipelined wake-up is confirmed by one WAIT.
        let replica = try startReplica(of: master)
        #expect(await driver.incrementsInOneWakeUp(.received, count: 500) == Array(2...501))
        // The retried key replays the count its first try made, now that a replica holds it.
        #expect(try await driver.increment(.sent, idempotencyKey: "k").get() == IdempotentCount(value: 1, isReplay: true))
        let onReplica = try RedisTestClient(host: "127.0.0.1", port: replica.port)
        #expect(try onReplica.count(driver.configuration.receivedKey) == 501)
    }

    @Test func theConsumersStoreThrowsUntilAReplicaHoldsTheBatchThenCountsItOnce() throws {
        let master = try RedisServerProcess(arguments: ["--repl-diskless-sync-delay", "0"])
        let configuration = RedisCounterStore.Configuration(
            host: "127.0.0.1", port: master.port, receivedKey: "received", sentKey: "sent",
            minReplicas: 1, replicaTimeoutMilliseconds: 200
        )
        let store = RedisBatchCounterStore(configuration: configuration)
        let ids: [[UInt8]?] = [Array("a".utf8), Array("b".utf8), nil]
        #expect(throws: CounterStoreError.self) { try store.countReceived(ids) }
        #expect(throws: CounterStoreError.self) { try store.countSent(ids) }

        let replica = try startReplica(of: master)
        defer { withExtendedLifetime(replica) {} }
        // The retry finds the marks the first try left, so the ids count no more. The hello
        // without an id counts each time it is counted, as it would on a redelivery: the
        // master took the first try's write, only the replica's word was missing.
        let retried = try store.countReceived(ids)
        #expect(retried.map(\.isFirstDelivery) == [false, false, true])
        try store.countSent(ids)
        let client = try RedisTestClient(host: "127.0.0.1", port: master.port)
        #expect(try client.count("received") == 2 + 2)
        #expect(try client.count("sent") == 2 + 2)
    }
}
