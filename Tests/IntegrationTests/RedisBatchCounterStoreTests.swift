import Counters
import Foundation
import RedisCounterStore
import ServiceTestSupport
import Testing

/// Ids as the store takes them: raw bytes.
private func ids(_ values: String?...) -> [[UInt8]?] {
    values.map { $0.map { Array($0.utf8) } }
}

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

    /// Deletes what a test wrote: its counters and its dedupe marks.
    func cleanUp(_ configuration: RedisCounterStore.Configuration, _ redis: RedisTestClient) {
        try? redis.delete(configuration.receivedKey, configuration.sentKey)
        try? redis.deleteKeys(prefixed: configuration.dedupePrefix)
    }

    @Test func eachIDCountsOnce() throws {
        let (store, configuration, redis) = try makeStore()
        defer { cleanUp(configuration, redis) }
        let first = try store.countReceived(ids("a", "b", "c"))
        #expect(first.allSatisfy { $0.isFirstDelivery && !$0.isAlreadyAnswered })
        let again = try store.countReceived(ids("b", "c", "d"))
        #expect(again.map(\.isFirstDelivery) == [false, false, true])
        #expect(try redis.count(configuration.receivedKey) == 4)
    }

    @Test func answeredHellosAreReportedAndSentCountsOnce() throws {
        let (store, configuration, redis) = try makeStore()
        defer { cleanUp(configuration, redis) }
        _ = try store.countReceived(ids("a", "b"))
        try store.countSent(ids("a"))
        try store.countSent(ids("a"))
        #expect(try redis.count(configuration.sentKey) == 1)
        let redelivered = try store.countReceived(ids("a", "b"))
        #expect(redelivered.map(\.isAlreadyAnswered) == [true, false])
        #expect(redelivered.map(\.isFirstDelivery) == [false, false])
        #expect(try redis.count(configuration.receivedKey) == 2)
    }

    @Test func hellosWithoutIDsCountEveryTime() throws {
        let (store, configuration, redis) = try makeStore()
        defer { cleanUp(configuration, redis) }
        _ = try store.countReceived(ids(nil, "a", nil))
        _ = try store.countReceived(ids(nil, "a"))
        try store.countSent(ids(nil, nil))
        #expect(try redis.count(configuration.receivedKey) == 4)
        #expect(try redis.count(configuration.sentKey) == 2)
    }

    @Test func severalRequestsAreWithRedisAtOnceAndAnsweredInOrder() throws {
        let (store, configuration, redis) = try makeStore()
        defer { cleanUp(configuration, redis) }
        store.send(.received(ids("a", "b")))
        store.send(.sent(ids("a")))
        store.send(.probe)
        store.send(.received(ids("a", "c", nil)))
        #expect(store.unansweredCount == 4)
        var answers: [CountAnswer] = []
        let deadline = ContinuousClock.now + .seconds(5)
        while answers.count < 4, ContinuousClock.now < deadline {
            answers += store.answers(waitMilliseconds: 100)
        }
        let fresh = ReceivedHello(isFirstDelivery: true, isAlreadyAnswered: false)
        #expect(answers == [
            .received(.success([fresh, fresh])),
            .sent(.success(())),
            .probe(.success(())),
            .received(.success([ReceivedHello(isFirstDelivery: false, isAlreadyAnswered: true), fresh, fresh])),
        ])
        #expect(store.unansweredCount == 0)
        #expect(try redis.count(configuration.receivedKey) == 4)
        #expect(try redis.count(configuration.sentKey) == 1)
    }

    @Test func answersStayInOrderWhileRequestsKeepComing() throws {
        let (store, configuration, redis) = try makeStore()
        defer { cleanUp(configuration, redis) }
        // A steady stream, as the consumer's: a request goes out before the last is answered.
        var answers: [CountAnswer] = []
        for index in 0..<300 {
            store.send(index % 3 == 2 ? .sent(ids("s\(index - 1)")) : .received(ids("s\(index)")))
            answers += store.answers(waitMilliseconds: 0)
        }
        let deadline = ContinuousClock.now + .seconds(5)
        while store.unansweredCount > 0, ContinuousClock.now < deadline { answers += store.answers(waitMilliseconds: 100) }
        let fresh = ReceivedHello(isFirstDelivery: true, isAlreadyAnswered: false)
        #expect(answers == (0..<300).map { $0 % 3 == 2 ? .sent(.success(())) : .received(.success([fresh])) })
        #expect(try redis.count(configuration.receivedKey) == 200)
        #expect(try redis.count(configuration.sentKey) == 100)
    }

    @Test func aRequestWithoutRedisIsAnsweredWithTheFailureInItsTurn() throws {
        let port = try freePort()
        let store = RedisBatchCounterStore(configuration: RedisCounterStore.Configuration(host: "127.0.0.1", port: port, timeoutMilliseconds: 500))
        store.send(.received(ids("a")))
        store.send(.probe)
        let answers = store.answers(waitMilliseconds: 0)
        #expect(answers.count == 2)
        guard case .received(.failure) = answers.first, case .probe(.failure) = answers.last else {
            Issue.record("expected two failures, got \(answers)")
            return
        }
        #expect(store.unansweredCount == 0)
    }

    @Test func marksExpire() throws {
        let (store, configuration, redis) = try makeStore(dedupeSeconds: 120)
        defer { cleanUp(configuration, redis) }
        _ = try store.countReceived(ids("x"))
        let ttl = try redis.run("TTL", "\(configuration.dedupePrefix)received:x").integerValue ?? -1
        #expect(ttl > 0 && ttl <= 120)
    }

    @Test func eachHelloHasOneMarkThatSaysHowFarItGot() throws {
        let (store, configuration, redis) = try makeStore()
        defer { cleanUp(configuration, redis) }
        let key = "\(configuration.dedupePrefix)received:m"
        _ = try store.countReceived(ids("m"))
        #expect(try redis.run("GET", key) == .bulk(Array("1".utf8)))
        try store.countSent(ids("m"))
        #expect(try redis.run("GET", key) == .bulk(Array("2".utf8)))
        #expect(try redis.run("EXISTS", "\(configuration.dedupePrefix)sent:m").integerValue == 0, "no second key per hello")
        #expect(try redis.run("TTL", key).integerValue ?? -1 > 0)
    }

    @Test func aMarkGoneBeforeItsReplyIsCountedIsWrittenAnewWithItsExpiry() throws {
        let (store, configuration, redis) = try makeStore(dedupeSeconds: 300)
        defer { cleanUp(configuration, redis) }
        let key = "\(configuration.dedupePrefix)received:gone"
        _ = try store.countReceived(ids("gone"))
        try redis.run("DEL", key)
        try store.countSent(ids("gone"))
        #expect(try redis.count(configuration.sentKey) == 1)
        #expect(try redis.run("GET", key) == .bulk(Array("2".utf8)))
        let ttl = try redis.run("TTL", key).integerValue ?? -1
        #expect(ttl > 0 && ttl <= 300, "never a mark without an expiry")
    }

    @Test func aHelloAnsweredByAnOlderConsumerIsNotAnsweredAgain() throws {
        let (store, configuration, redis) = try makeStore()
        defer { cleanUp(configuration, redis) }
        // What a consumer before the one-mark format left: a received and a sent mark for
        // "old-answered", a received mark alone for "old-unanswered".
        for (key, value) in [("received:old-answered", "1"), ("sent:old-answered", "1"), ("received:old-unanswered", "1")] {
            try redis.run("SET", configuration.dedupePrefix + key, value, "EX", "600")
        }
        let statuses = try store.countReceived(ids("old-answered", "old-unanswered"))
        #expect(statuses == [ReceivedHello(isFirstDelivery: false, isAlreadyAnswered: true),
                             ReceivedHello(isFirstDelivery: false, isAlreadyAnswered: false)])
        try store.countSent(ids("old-unanswered"))
        try store.countSent(ids("old-unanswered"))
        #expect(try redis.count(configuration.receivedKey) == 0)
        #expect(try redis.count(configuration.sentKey) == 1)
    }

    @Test func aMarkOfAnotherTypeHoldsNoBatchUp() throws {
        let (store, configuration, redis) = try makeStore()
        defer { cleanUp(configuration, redis) }
        try redis.run("RPUSH", "\(configuration.dedupePrefix)received:listed", "x")
        let statuses = try store.countReceived(ids("listed", "plain"))
        #expect(statuses.map(\.isFirstDelivery) == [false, true])
        try store.countSent(ids("listed", "plain"))
        #expect(try redis.count(configuration.sentKey) == 2)
    }

    @Test func scriptsAreReloadedAfterRedisForgetsThem() throws {
        let server = try RedisServerProcess()
        let configuration = RedisCounterStore.Configuration(host: "127.0.0.1", port: server.port)
        let store = RedisBatchCounterStore(configuration: configuration)
        _ = try store.countReceived(ids("a"))
        let redis = try RedisTestClient(host: "127.0.0.1", port: server.port)
        try redis.run("SCRIPT", "FLUSH")
        _ = try store.countReceived(ids("b"))
        #expect(try redis.count(configuration.receivedKey) == 2)
    }

    @Test func idsAreRawBytesAndInvalidUTF8DoesNotCollide() throws {
        let (store, configuration, redis) = try makeStore()
        defer { cleanUp(configuration, redis) }
        let statuses = try store.countReceived([[0xFF, 0xFE], [0xFD, 0xFC], Array("\u{FFFD}\u{FFFD}".utf8)])
        #expect(statuses.allSatisfy { $0.isFirstDelivery })
        #expect(try redis.count(configuration.receivedKey) == 3)
        #expect(try redis.run("EXISTS", "\(configuration.dedupePrefix)received-hex:fffe").integerValue == 1)
        #expect(try store.countReceived([[0xFF, 0xFE]]).map(\.isFirstDelivery) == [false])
    }

    @Test func aCountingScriptThatFailsWritesNothing() throws {
        let (store, configuration, redis) = try makeStore()
        defer { cleanUp(configuration, redis) }
        try redis.run("SET", configuration.receivedKey, "not a number")
        for _ in 0..<3 {
            #expect(throws: CounterStoreError(.invalidData, reason: "counter \(configuration.receivedKey) holds a non-integer value")) {
                try store.countReceived(ids("a", "b", nil))
            }
        }
        #expect(try redis.run("EXISTS", "\(configuration.dedupePrefix)received:a").integerValue == 0, "no mark without its count")
        try redis.run("SET", configuration.sentKey, "12abc")
        try redis.run("SET", "\(configuration.dedupePrefix)received:a", "1")
        #expect(throws: CounterStoreError.self) { try store.countSent(ids("a")) }
        #expect(try redis.run("GET", "\(configuration.dedupePrefix)received:a") == .bulk(Array("1".utf8)), "not marked answered")
        try redis.run("DEL", "\(configuration.dedupePrefix)received:a")

        // Repaired, every hello counts exactly once.
        try redis.delete(configuration.receivedKey, configuration.sentKey)
        #expect(try store.countReceived(ids("a", "b")).allSatisfy { $0.isFirstDelivery })
        try store.countSent(ids("a", "b"))
        #expect(try redis.count(configuration.receivedKey) == 2)
        #expect(try redis.count(configuration.sentKey) == 2)
    }

    @Test func aCounterOfAnotherTypeOrAtTheLimitIsInvalidData() throws {
        let (store, configuration, redis) = try makeStore()
        defer { cleanUp(configuration, redis) }
        try redis.run("RPUSH", configuration.receivedKey, "x")
        #expect(throws: CounterStoreError.self) { try store.countReceived(ids("a")) }
        #expect(throws: CounterStoreError.self) { try store.countReceived(ids(nil)) }
        try redis.delete(configuration.receivedKey)
        try redis.run("SET", configuration.receivedKey, "9223372036854775807")
        #expect(throws: CounterStoreError.self) { try store.countReceived(ids("a")) }
        #expect(try redis.run("EXISTS", "\(configuration.dedupePrefix)received:a").integerValue == 0)
    }

    @Test func duplicateIDsInOneCallCountOnce() throws {
        let (store, configuration, redis) = try makeStore()
        defer { cleanUp(configuration, redis) }
        let statuses = try store.countReceived(ids("a", "a"))
        #expect(statuses.map(\.isFirstDelivery) == [true, false])
        #expect(try redis.count(configuration.receivedKey) == 1)
    }

    @Test func failedAttemptsAreCountedPerIDWithTheirTimes() throws {
        let (store, configuration, redis) = try makeStore(dedupeSeconds: 300)
        defer { cleanUp(configuration, redis) }
        let first = try store.recordFailedAttempt(Array("m".utf8), now: 1_000)
        let second = try store.recordFailedAttempt(Array("m".utf8), now: 1_007)
        #expect(first == FailedAttempts(count: 1, firstFailure: 1_000, lastFailure: 1_000))
        #expect(second == FailedAttempts(count: 2, firstFailure: 1_000, lastFailure: 1_007))
        #expect(try store.recordFailedAttempt(Array("other".utf8), now: 5).count == 1)
        let ttl = try redis.run("TTL", "\(configuration.dedupePrefix)attempts:m").integerValue ?? -1
        #expect(ttl > 0 && ttl <= 300)
    }
}
